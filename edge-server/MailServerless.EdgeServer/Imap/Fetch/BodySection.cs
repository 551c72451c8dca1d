using System.Globalization;
using System.Text;
using MailServerless.EdgeServer.Imap.Parsing;
using MimeKit;

namespace MailServerless.EdgeServer.Imap.Fetch;

public enum SectionKind
{
    /// <summary>The whole message, or a part's body.</summary>
    Full,
    Header,
    HeaderFields,
    HeaderFieldsNot,
    Text,

    /// <summary>A part's own MIME headers.</summary>
    Mime,
}

/// <summary>
/// A <c>BODY[section]&lt;partial&gt;</c> fetch item (RFC 3501 §6.4.5): the part path (<c>1.2</c>), what of
/// it (HEADER, HEADER.FIELDS (NOT), TEXT, MIME or all), and an optional octet range.
/// </summary>
public sealed record BodySection(IReadOnlyList<int> Path, SectionKind Kind, IReadOnlyList<string> Fields, long? PartialStart, long? PartialLength)
{
    /// <summary>Parses the text between the brackets and the partial after them, e.g. <c>1.HEADER.FIELDS (From)</c>, <c>&lt;0.512&gt;</c>.</summary>
    public static BodySection Parse(string section, string partial)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(partial);
        var space = section.IndexOf(' ', StringComparison.Ordinal);
        var spec = space < 0 ? section : section[..space];
        var list = space < 0 ? string.Empty : section[(space + 1)..].Trim();
        var path = new List<int>();
        var parts = spec.Length == 0 ? [] : spec.Split('.');
        var i = 0;
        for (; i < parts.Length && parts[i].Length > 0 && parts[i].All(char.IsAsciiDigit); i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
            {
                throw new ImapSyntaxException("Invalid section part number.");
            }

            path.Add(number);
        }

        var kind = string.Join('.', parts.Skip(i)).ToUpperInvariant() switch
        {
            "" => SectionKind.Full,
            "HEADER" => SectionKind.Header,
            "HEADER.FIELDS" => SectionKind.HeaderFields,
            "HEADER.FIELDS.NOT" => SectionKind.HeaderFieldsNot,
            "TEXT" => SectionKind.Text,
            "MIME" when path.Count > 0 => SectionKind.Mime,
            _ => throw new ImapSyntaxException("Invalid section."),
        };

        var fields = new List<string>();
        if (kind is SectionKind.HeaderFields or SectionKind.HeaderFieldsNot)
        {
            var tokens = ImapTokenizer.Tokenize(list, []);
            if (tokens is not [{ Kind: ImapTokenKind.List } fieldList] || fieldList.Items.Count == 0 || fieldList.Items.Any(t => t.Kind == ImapTokenKind.List))
            {
                throw new ImapSyntaxException("HEADER.FIELDS needs a list of field names.");
            }

            fields.AddRange(fieldList.Items.Select(t => t.Text));
        }
        else if (list.Length > 0)
        {
            throw new ImapSyntaxException("Invalid section.");
        }

        long? start = null, length = null;
        if (partial.Length > 0)
        {
            var range = partial.TrimStart('<').TrimEnd('>').Split('.');
            if (partial[0] != '<' || partial[^1] != '>' || range.Length != 2 ||
                !long.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ||
                !long.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out var l) || l == 0)
            {
                throw new ImapSyntaxException("Invalid partial range.");
            }

            (start, length) = (s, l);
        }

        return new BodySection(path, kind, fields, start, length);
    }

    /// <summary>How the response names it: <c>BODY[1.HEADER.FIELDS (FROM)]&lt;0&gt;</c>.</summary>
    public string ResponseName
    {
        get
        {
            var builder = new StringBuilder("BODY[");
            builder.Append(string.Join('.', Path.Select(n => n.ToString(CultureInfo.InvariantCulture))));
            var kind = Kind switch
            {
                SectionKind.Header => "HEADER",
                SectionKind.HeaderFields => "HEADER.FIELDS",
                SectionKind.HeaderFieldsNot => "HEADER.FIELDS.NOT",
                SectionKind.Text => "TEXT",
                SectionKind.Mime => "MIME",
                _ => string.Empty,
            };
            if (kind.Length > 0)
            {
                builder.Append(Path.Count > 0 ? "." : string.Empty).Append(kind);
            }

            if (Fields.Count > 0)
            {
                builder.Append(" (").Append(string.Join(' ', Fields.Select(f => ImapString.AString(f.ToUpperInvariant())))).Append(')');
            }

            builder.Append(']');
            if (PartialStart is { } start)
            {
                builder.Append('<').Append(start.ToString(CultureInfo.InvariantCulture)).Append('>');
            }

            return builder.ToString();
        }
    }

    /// <summary>True when only the message's own octets are needed, no MIME parse (<c>BODY[]</c>).</summary>
    public bool IsWholeMessage => Path.Count == 0 && Kind == SectionKind.Full;

    /// <summary>The octets, or null when the part does not exist.</summary>
    public byte[]? Extract(MessageContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        byte[]? result;
        if (IsWholeMessage)
        {
            result = content.Bytes;
        }
        else
        {
            result = ExtractSection(content);
        }

        return result is null ? null : Partial(result);
    }

    /// <summary>Where the partial (<c>&lt;start.length&gt;</c>) lies in <paramref name="length"/> octets: all of them without one.</summary>
    public (long Start, long Count) PartialRange(long length)
    {
        if (PartialStart is not { } start)
        {
            return (0, length);
        }

        return start >= length ? (length, 0) : (start, Math.Min(PartialLength ?? long.MaxValue, length - start));
    }

    /// <summary>The octets the partial (<c>&lt;start.length&gt;</c>) names, or all of them without one.</summary>
    public byte[] Partial(byte[] octets)
    {
        ArgumentNullException.ThrowIfNull(octets);
        if (PartialStart is null)
        {
            return octets;
        }

        var (from, count) = PartialRange(octets.Length);
        return octets.AsSpan((int)from, (int)count).ToArray();
    }

    private byte[]? ExtractSection(MessageContent content)
    {
        if (FindPart(content) is not { } node)
        {
            return null;
        }

        if (Kind is SectionKind.Full or SectionKind.Mime)
        {
            var range = content.RangeOf(node);
            return Kind == SectionKind.Full
                ? content.Slice(range.BodyStart, range.End).ToArray()
                : content.Slice(range.Begin, range.BodyStart).ToArray();
        }

        // HEADER and TEXT of a part name the message inside a message/rfc822 part.
        var message = node switch
        {
            MimeMessage m => m,
            MessagePart { Message: { } inner } => inner,
            _ => null,
        };
        if (message is null)
        {
            return null;
        }

        var messageRange = content.RangeOf(message);
        return Kind switch
        {
            SectionKind.Text => content.Slice(messageRange.BodyStart, messageRange.End).ToArray(),
            SectionKind.Header => content.Slice(messageRange.Begin, messageRange.BodyStart).ToArray(),
            _ => FilterFields(content.Slice(messageRange.Begin, messageRange.BodyStart), Fields, Kind == SectionKind.HeaderFieldsNot),
        };
    }

    /// <summary>
    /// The message (no part numbers) or the entity the part numbers name, or null. They are walked as Dovecot walks
    /// them (RFC 3501 §6.4.5): a multipart's N is its Nth child; a part that is not multipart has only a part 1,
    /// itself, and only as the last number unless it holds a message; a number after a message/rfc822 part goes into
    /// the message it holds.
    /// </summary>
    public object? FindPart(MessageContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        object node = content.Message;
        MimeEntity? part = content.Message.Body;
        for (var i = 0; i < Path.Count; i++)
        {
            var last = i == Path.Count - 1;
            if (part is Multipart multipart)
            {
                part = Path[i] <= multipart.Count ? multipart[Path[i] - 1] : null;
            }
            else if (Path[i] != 1 || (!last && part is not MessagePart))
            {
                part = null;
            }

            if (part is null)
            {
                return null;
            }

            node = part;
            if (!last && part is MessagePart enclosing)
            {
                part = enclosing.Message?.Body;
            }
        }

        return node;
    }

    /// <summary>The header fields named (or all but those), as stored, ending with the blank line.</summary>
    public static byte[] FilterFields(ReadOnlySpan<byte> headers, IReadOnlyList<string> fields, bool exclude)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var output = new MemoryStream();
        var keep = false;
        var position = 0;
        while (position < headers.Length)
        {
            var end = headers[position..].IndexOf((byte)'\n');
            var lineEnd = end < 0 ? headers.Length : position + end + 1;
            var line = headers[position..lineEnd];
            if (line.Length == 0 || line[0] is (byte)'\r' or (byte)'\n')
            {
                break;
            }

            if (line[0] is not ((byte)' ' or (byte)'\t'))
            {
                var colon = line.IndexOf((byte)':');
                var name = colon < 0 ? string.Empty : Encoding.ASCII.GetString(line[..colon]).TrimEnd();
                var named = fields.Any(f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase));
                keep = colon > 0 && named != exclude;
            }

            if (keep)
            {
                output.Write(line);
            }

            position = lineEnd;
        }

        output.Write("\r\n"u8);
        return output.ToArray();
    }
}
