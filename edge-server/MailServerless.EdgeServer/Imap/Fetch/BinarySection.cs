using MimeKit;
using MimeKit.Encodings;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>A part's Content-Transfer-Encoding that BINARY cannot undo: <c>NO [UNKNOWN-CTE]</c> (RFC 3516 §4.3).</summary>
public sealed class UnknownCteException() : Exception("unknown content-transfer-encoding");

/// <summary>
/// BINARY[section] and BINARY.SIZE[section] (RFC 3516): a part's content with its Content-Transfer-Encoding undone
/// (base64 and quoted-printable decoded; 7bit, 8bit and binary as they are). A multipart, an attached message or
/// the whole message (no part numbers) is served as stored, as it has no encoding of its own.
/// </summary>
public static class BinarySection
{
    /// <summary>The decoded octets of the part the section names, partial applied; null when there is no such part.</summary>
    public static byte[]? Extract(MessageContent content, BodySection section)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(section);
        if (section.FindPart(content) is not { } node)
        {
            return null;
        }

        var range = content.RangeOf(node);
        var raw = node is MimeMessage ? content.Bytes : content.Slice(range.BodyStart, range.End).ToArray();
        return section.Partial(node is MimePart leaf ? Decode(raw, Envelope.Raw(leaf.Headers, "Content-Transfer-Encoding")) : raw);
    }

    private static byte[] Decode(byte[] raw, string? encoding)
    {
        IMimeDecoder? decoder = (encoding ?? "7bit").Trim().ToLowerInvariant() switch
        {
            "base64" => new Base64Decoder(),
            "quoted-printable" => new QuotedPrintableDecoder(),
            "7bit" or "8bit" or "binary" or "" => null,
            _ => throw new UnknownCteException(),
        };
        if (decoder is null)
        {
            return raw;
        }

        var output = new byte[decoder.EstimateOutputLength(raw.Length)];
        var length = decoder.Decode(raw, 0, raw.Length, output);
        return output.AsSpan(0, length).ToArray();
    }
}
