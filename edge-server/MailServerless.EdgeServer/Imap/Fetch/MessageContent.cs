using System.Text;
using MimeKit;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>Where an entity lies in the message's octets: its headers start, its body start and its end.</summary>
public readonly record struct EntityRange(int Begin, int BodyStart, int End)
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
            copy.ToMessage(e.BeginOffset), copy.ToMessage(e.HeadersEndOffset), EndOf(e.Entity, copy.ToMessage(e.EndOffset)));
        parser.MimeMessageEnd += (_, e) => _ranges[e.Message] = new EntityRange(
            copy.ToMessage(e.BeginOffset), copy.ToMessage(e.HeadersEndOffset), EndOf(e.Message.Body, copy.ToMessage(e.EndOffset)));
        try
        {
            return parser.ParseMessage(_cancellationToken);
        }
        catch (FormatException)
        {
            // Not even headers (an empty or binary file): serve it as a text/plain body without headers.
            _ranges.Clear();
            var message = new MimeMessage { Body = new TextPart("plain") };
            _ranges[message] = new EntityRange(0, 0, Bytes.Length);
            _ranges[message.Body] = new EntityRange(0, 0, Bytes.Length);
            return message;
        }
    }

    /// <summary>
    /// Where an entity ends. A multipart nested in another ends after the line end of its close delimiter, and so
    /// does the message or message/rfc822 part that holds it: RFC 2046 §5.1.1 gives that line end to the enclosing
    /// boundary, Dovecot gives it to the part, and clients see sizes and line counts Dovecot's way.
    /// </summary>
    private int EndOf(MimeEntity? entity, int end)
    {
        switch (entity)
        {
            case Multipart { Boundary: { } boundary }:
                var close = Encoding.ASCII.GetBytes("--" + boundary + "--");
                return end >= close.Length && end + 2 <= Bytes.Length && Bytes.AsSpan(end - close.Length, close.Length).SequenceEqual(close) &&
                    Bytes[end] == '\r' && Bytes[end + 1] == '\n' ? end + 2 : end;
            case MessagePart { Message.Body: Multipart inner } when _ranges.TryGetValue(inner, out var range):
                return Math.Max(end, range.End);
            default:
                return entity is Multipart && _ranges.TryGetValue(entity, out var own) ? Math.Max(end, own.End) : end;
        }
    }

    public EntityRange RangeOf(object entityOrMessage) =>
        _message is not null && _ranges.TryGetValue(entityOrMessage, out var range) ? range : new EntityRange(0, 0, 0);

    /// <summary>
    /// body-fld-lines (RFC 3501 §7.4.2): the line ends in an entity's body. A last line without one is not counted,
    /// nor is the line end before a boundary, which belongs to the boundary (RFC 2046 §5.1.1): as Dovecot counts.
    /// </summary>
    public int LinesOf(EntityRange range) => Slice(range.BodyStart, range.End).Count((byte)'\n');

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
