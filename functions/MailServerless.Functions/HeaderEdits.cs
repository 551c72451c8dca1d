using System.Text;

namespace MailServerless.Functions;

/// <summary>
/// The edge's changes to the top of a message, applied as each local copy is written: fields removed (a forged
/// <c>Authentication-Results</c> under our authserv-id, spam headers set by the sender), then fields added. The
/// header is read up to <see cref="MaxHeaderBytes"/>; a message whose header is longer is left as it is.
/// </summary>
internal static class HeaderEdits
{
    /// <summary>Past this, no end of header was found: nothing is removed (DATA and APPEND refuse such headers anyway).</summary>
    public const int MaxHeaderBytes = 1024 * 1024;

    /// <summary>
    /// <paramref name="prefix"/>, the added fields and the message's header without the removed fields, then the rest of
    /// <paramref name="body"/>. A removal is a field name (<c>X-Spam</c>), or <c>Authentication-Results:id</c> for the
    /// results of that authserv-id only (RFC 8601 §5).
    /// </summary>
    public static async Task<Stream> ApplyAsync(
        Stream body, string prefix, string? added, IReadOnlyList<string>? removed, CancellationToken cancellationToken)
    {
        var head = Encoding.UTF8.GetBytes(prefix + (added ?? string.Empty));
        if (removed is not { Count: > 0 })
        {
            return new PrefixedStream(head, body);
        }

        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        var end = -1;
        while (end < 0 && buffer.Length < MaxHeaderBytes)
        {
            var read = await body.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                // No blank line: the whole message is header (RFC 5322 §3.5 allows no body).
                end = (int)buffer.Length;
                break;
            }

            var searchFrom = (int)Math.Max(0, buffer.Length - 3);
            buffer.Write(chunk, 0, read);
            end = HeaderEnd(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), searchFrom);
        }

        var bytes = buffer.ToArray();
        if (end < 0)
        {
            return new PrefixedStream([.. head, .. bytes], body);
        }

        var kept = Filter(bytes.AsSpan(0, end), removed);
        return new PrefixedStream([.. head, .. kept, .. bytes.AsSpan(end)], body);
    }

    /// <summary>The offset of the blank line that ends the header (its line break included in the header), or -1.</summary>
    private static int HeaderEnd(ReadOnlySpan<byte> data, int from)
    {
        for (var i = from; i < data.Length; i++)
        {
            if (data[i] != '\n')
            {
                continue;
            }

            if (i + 1 < data.Length && data[i + 1] == '\n')
            {
                return i + 1;
            }

            if (i + 2 < data.Length && data[i + 1] == '\r' && data[i + 2] == '\n')
            {
                return i + 1;
            }
        }

        return -1;
    }

    private static byte[] Filter(ReadOnlySpan<byte> header, IReadOnlyList<string> removed)
    {
        var output = new MemoryStream(header.Length);
        var fieldStart = 0;
        for (var i = 0; i <= header.Length; i++)
        {
            // A field ends before a line that does not start with white space (RFC 5322 §2.2.3).
            var atEnd = i == header.Length;
            if (!atEnd && !(header[i] == '\n' && i + 1 < header.Length && header[i + 1] is not (byte)' ' and not (byte)'\t'))
            {
                continue;
            }

            var fieldEnd = atEnd ? header.Length : i + 1;
            var field = header[fieldStart..fieldEnd];
            if (!IsRemoved(field, removed))
            {
                output.Write(field);
            }

            fieldStart = fieldEnd;
        }

        return output.ToArray();
    }

    private static bool IsRemoved(ReadOnlySpan<byte> field, IReadOnlyList<string> removed)
    {
        var colon = field.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        var name = Encoding.ASCII.GetString(field[..colon]).Trim();
        foreach (var rule in removed)
        {
            var separator = rule.IndexOf(':', StringComparison.Ordinal);
            var ruleName = separator < 0 ? rule : rule[..separator];
            if (!name.Equals(ruleName, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (separator < 0)
            {
                return true;
            }

            // RFC 8601 §2.2: the value starts with the authserv-id (after optional white space and comments).
            var value = Encoding.UTF8.GetString(field[(colon + 1)..]).TrimStart();
            while (value.StartsWith('('))
            {
                var close = value.IndexOf(')', StringComparison.Ordinal);
                value = close < 0 ? string.Empty : value[(close + 1)..].TrimStart();
            }

            var id = value.Split([';', ' ', '\t', '\r', '\n'], 2)[0];
            if (id.Equals(rule[(separator + 1)..], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
