namespace MailServerless.EdgeServer.Imap.Parsing;

/// <summary>Reads a command's arguments in order; anything missing or left over is a syntax error (BAD).</summary>
public sealed class ImapArguments(IReadOnlyList<ImapToken> tokens)
{
    private int _next;

    public bool HasMore => _next < tokens.Count;

    public ImapToken? Peek => HasMore ? tokens[_next] : null;

    public ImapToken Next(string what) =>
        HasMore ? tokens[_next++] : throw new ImapSyntaxException($"Missing {what}.");

    public string Atom(string what)
    {
        var token = Next(what);
        return token.Kind == ImapTokenKind.Atom ? token.Text : throw new ImapSyntaxException($"Invalid {what}.");
    }

    /// <summary>astring: an atom or a string.</summary>
    public string AString(string what)
    {
        var token = Next(what);
        return token.Kind == ImapTokenKind.List ? throw new ImapSyntaxException($"Invalid {what}.") : token.Text;
    }

    public IReadOnlyList<ImapToken> List(string what)
    {
        var token = Next(what);
        return token.Kind == ImapTokenKind.List ? token.Items : throw new ImapSyntaxException($"Invalid {what}.");
    }

    /// <summary>A list if the next token is one, else null (optional parenthesised arguments).</summary>
    public IReadOnlyList<ImapToken>? OptionalList() =>
        Peek is { Kind: ImapTokenKind.List } ? tokens[_next++].Items : null;

    /// <summary>The tokens not read yet.</summary>
    public IReadOnlyList<ImapToken> Rest()
    {
        var rest = tokens.Skip(_next).ToList();
        _next = tokens.Count;
        return rest;
    }

    public void End()
    {
        if (HasMore)
        {
            throw new ImapSyntaxException("Too many arguments.");
        }
    }
}
