namespace MailServerless.EdgeServer.Imap.Parsing;

public enum ImapTokenKind
{
    /// <summary>An atom, including <c>NIL</c> and fetch items such as <c>BODY[HEADER.FIELDS (From)]&lt;0.10&gt;</c>.</summary>
    Atom,

    /// <summary>A quoted string.</summary>
    Quoted,

    /// <summary>A literal (<c>{n}</c> or <c>{n+}</c> followed by n octets).</summary>
    Literal,

    /// <summary>A parenthesised list.</summary>
    List,
}

/// <summary>One element of an IMAP command's arguments (RFC 3501 §4).</summary>
public sealed class ImapToken
{
    private string? _text;

    private ImapToken(ImapTokenKind kind, string? text, ImapLiteral? literal, IReadOnlyList<ImapToken>? items)
    {
        Kind = kind;
        _text = text;
        Literal = literal;
        Items = items ?? [];
    }

    public ImapTokenKind Kind { get; }

    /// <summary>
    /// The atom or string; a literal is decoded as UTF-8 only when asked (an APPEND's message never is: it is
    /// stored from its octets).
    /// </summary>
    public string Text => _text ??= Literal?.Text ?? string.Empty;

    public ImapLiteral? Literal { get; }

    public IReadOnlyList<ImapToken> Items { get; }

    public bool IsString => Kind is ImapTokenKind.Quoted or ImapTokenKind.Literal;

    public bool IsNil => Kind == ImapTokenKind.Atom && Text.Equals("NIL", StringComparison.OrdinalIgnoreCase);

    public static ImapToken Atom(string text) => new(ImapTokenKind.Atom, text, null, null);

    public static ImapToken Quoted(string text) => new(ImapTokenKind.Quoted, text, null, null);

    public static ImapToken FromLiteral(ImapLiteral literal) => new(ImapTokenKind.Literal, null, literal, null);

    public static ImapToken List(IReadOnlyList<ImapToken> items) => new(ImapTokenKind.List, string.Empty, null, items);

    public override string ToString() => Kind switch
    {
        ImapTokenKind.List => "(" + string.Join(' ', Items) + ")",
        ImapTokenKind.Literal => $"{{{Literal!.Length}}}",
        ImapTokenKind.Quoted => "\"" + Text + "\"",
        _ => Text,
    };
}

/// <summary>The octets of a literal: in memory, or in a temporary file once large (an APPEND of a big message).</summary>
public sealed class ImapLiteral : IDisposable
{
    private readonly Stream _content;

    public ImapLiteral(Stream content, long length)
    {
        _content = content;
        Length = length;
    }

    public long Length { get; }

    /// <summary>The content as UTF-8 text (strings such as a password or a search key; small by the literal limit).</summary>
    public string Text
    {
        get
        {
            if (Length > 1024 * 1024)
            {
                return string.Empty;
            }

            _content.Position = 0;
            using var reader = new StreamReader(_content, System.Text.Encoding.UTF8, false, 4096, leaveOpen: true);
            return reader.ReadToEnd();
        }
    }

    public Stream OpenRead()
    {
        _content.Position = 0;
        return _content;
    }

    public void Dispose() => _content.Dispose();
}

/// <summary>A syntax error in a command: answered with a tagged BAD.</summary>
public sealed class ImapSyntaxException(string message) : Exception(message);
