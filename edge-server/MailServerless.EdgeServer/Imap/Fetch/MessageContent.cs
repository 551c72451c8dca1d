using MimeKit;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>Where an entity lies in the message's octets: its headers start, its body start, its end, and its body's lines.</summary>
public readonly record struct EntityRange(int Begin, int BodyStart, int End, int Lines)
{
    public int BodyLength => End - BodyStart;
}

/// <summary>
/// A stored message as IMAP serves it: the octets with CRLF line ends (Maildir files hold LF, RFC 3501
/// counts CRLF), and MimeKit's parse with the byte range of every entity, so that a BODY[section] is
/// exactly the octets of the stored message and BODYSTRUCTURE sizes match them.
/// </summary>
public sealed class MessageContent
{
    private readonly Dictionary<object, EntityRange> _ranges = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationToken _cancellationToken;
    private MimeMessage? _message;

    private MessageContent(byte[] bytes, CancellationToken cancellationToken)
    {
        Bytes = bytes;
        _cancellationToken = cancellationToken;
    }

    public byte[] Bytes { get; }

    /// <summary>
    /// MimeKit's parse, made the first time a structure or a part is asked for (BODY[] needs none), of the
    /// message's <see cref="ParseCopy"/> so that its cost stays linear; cancelled with the session.
    /// </summary>
    public MimeMessage Message => _message ??= ParseStructure();

    public static MessageContent Load(Stream file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var raw = new MemoryStream();
        file.CopyTo(raw);
        return Parse(ToCrlf(raw.GetBuffer().AsSpan(0, (int)raw.Length)));
    }

    public static MessageContent Parse(byte[] bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new MessageContent(bytes, cancellationToken);
    }

    private MimeMessage ParseStructure()
    {
        var copy = ParseCopy.Of(Bytes);
        var parser = new MimeParser(new MemoryStream(copy.Bytes, writable: false), MimeFormat.Entity);
        parser.MimeEntityEnd += (_, e) => _ranges[e.Entity] = new EntityRange(
            copy.ToMessage(e.BeginOffset), copy.ToMessage(e.HeadersEndOffset), copy.ToMessage(e.EndOffset),
            e.Lines + copy.LinesCut(e.HeadersEndOffset, e.EndOffset));
        parser.MimeMessageEnd += (_, e) => _ranges[e.Message] = new EntityRange(
            copy.ToMessage(e.BeginOffset), copy.ToMessage(e.HeadersEndOffset), copy.ToMessage(e.EndOffset), 0);
        try
        {
            return parser.ParseMessage(_cancellationToken);
        }
        catch (FormatException)
        {
            // Not even headers (an empty or binary file): serve it as a text/plain body without headers.
            _ranges.Clear();
            var message = new MimeMessage { Body = new TextPart("plain") };
            var lines = Bytes.Count(b => b == '\n');
            _ranges[message] = new EntityRange(0, 0, Bytes.Length, lines);
            _ranges[message.Body] = new EntityRange(0, 0, Bytes.Length, lines);
            return message;
        }
    }

    public EntityRange RangeOf(object entityOrMessage) =>
        _message is not null && _ranges.TryGetValue(entityOrMessage, out var range) ? range : new EntityRange(0, 0, 0, 0);

    public ReadOnlySpan<byte> Slice(int start, int end) => Bytes.AsSpan(start, Math.Max(0, end - start));

    /// <summary>LF line ends become CRLF; a file that has them already is used as it is.</summary>
    public static byte[] ToCrlf(ReadOnlySpan<byte> raw)
    {
        var bare = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
            {
                bare++;
            }
        }

        if (bare == 0)
        {
            return raw.ToArray();
        }

        var result = new byte[raw.Length + bare];
        var o = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
            {
                result[o++] = (byte)'\r';
            }

            result[o++] = raw[i];
        }

        return result;
    }
}
