using System.Text;
using MimeKit;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>
/// The ENVELOPE structure (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
/// message-id, as Dovecot builds it: strings are the last such field's value as stored (unfolded, RFC 2047 words left
/// encoded); addresses are every such field's, read as written (<see cref="EnvelopeAddresses"/>); sender and reply-to
/// fall back to from.
/// </summary>
public static class Envelope
{
    public static string Format(HeaderList headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var from = Addresses(headers, "From");
        var builder = new StringBuilder("(");
        builder.Append(ImapString.NString(Last(headers, "Date"))).Append(' ');
        builder.Append(ImapString.NString(Last(headers, "Subject"))).Append(' ');
        builder.Append(from).Append(' ');
        builder.Append(Addresses(headers, "Sender") is var sender && sender != "NIL" ? sender : from).Append(' ');
        builder.Append(Addresses(headers, "Reply-To") is var replyTo && replyTo != "NIL" ? replyTo : from).Append(' ');
        builder.Append(Addresses(headers, "To")).Append(' ');
        builder.Append(Addresses(headers, "Cc")).Append(' ');
        builder.Append(Addresses(headers, "Bcc")).Append(' ');
        builder.Append(ImapString.NString(Last(headers, "In-Reply-To"))).Append(' ');
        builder.Append(ImapString.NString(Last(headers, "Message-ID")));
        return builder.Append(')').ToString();
    }

    /// <summary>The first such header's value, unfolded and trimmed; null when absent.</summary>
    public static string? Raw(HeaderList headers, string field)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var index = headers.IndexOf(field);
        return index < 0 ? null : Unfold(headers[index].RawValue);
    }

    /// <summary>The last such header's value, unfolded and trimmed; null when absent.</summary>
    private static string? Last(HeaderList headers, string field) =>
        headers.LastIndexOf(field) is var index and >= 0 ? Unfold(headers[index].RawValue) : null;

    /// <summary>Line ends taken out; a tab that began a continuation line becomes a space, as Dovecot unfolds.</summary>
    private static string Unfold(byte[] raw)
    {
        var text = DecodeOctets(raw);
        return (text.Contains('\n', StringComparison.Ordinal)
            ? text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal)
            : text).Trim();
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static string DecodeOctets(byte[] raw)
    {
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(raw);
        }
    }

    /// <summary>Every such field's addresses, in order; NIL when there are none.</summary>
    private static string Addresses(HeaderList headers, string field)
    {
        var builder = new StringBuilder("(");
        var any = false;
        foreach (var header in headers)
        {
            if (!header.Field.Equals(field, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var address in EnvelopeAddresses.Parse(Unfold(header.RawValue)))
            {
                builder.Append(address);
                any = true;
            }
        }

        return any ? builder.Append(')').ToString() : "NIL";
    }
}
