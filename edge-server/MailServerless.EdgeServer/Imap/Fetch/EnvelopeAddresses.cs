using System.Text;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>One ENVELOPE address (RFC 3501 §7.4.2): name, source route, mailbox, host; a group start has only a mailbox (the group's name), a group end nothing.</summary>
public sealed record EnvelopeAddress(string? Name, string? Route, string? Mailbox, string? Host)
{
    public static readonly EnvelopeAddress GroupEnd = new(null, null, null, null);

    public override string ToString() =>
        $"({ImapString.NString(Name)} {ImapString.NString(Route)} {ImapString.NString(Mailbox)} {ImapString.NString(Host)})";
}

/// <summary>
/// An address header read as written (RFC 5322 §3.4 with the obsolete source route of §4.4), as Dovecot reads it for
/// ENVELOPE: display names stay raw (quotes removed, RFC 2047 words left encoded, 8-bit as it is); a comment names an
/// address that has no display name; a source route is kept (<c>@a,@b</c>); a quoted local part loses its quotes; an
/// address without a domain gets <c>MISSING_DOMAIN</c>. One pass, linear in the value.
/// </summary>
public static class EnvelopeAddresses
{
    public const string MissingDomain = "MISSING_DOMAIN";

    public static List<EnvelopeAddress> Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var tokens = Tokenize(value);
        var result = new List<EnvelopeAddress>();
        var position = 0;
        while (position < tokens.Count)
        {
            if (tokens[position].Is(',') || tokens[position].Is(';'))
            {
                position++;
                continue;
            }

            var start = position;
            var phrase = Words(tokens, ref position, out _);
            if (position < tokens.Count && tokens[position].Is(':'))
            {
                // A group: name ':' [mailbox-list] ';' (RFC 5322 §3.4).
                position++;
                result.Add(new EnvelopeAddress(null, null, phrase.Length == 0 ? string.Empty : phrase, null));
                while (position < tokens.Count && !tokens[position].Is(';'))
                {
                    if (tokens[position].Is(','))
                    {
                        position++;
                        continue;
                    }

                    var before = position;
                    if (Mailbox(tokens, ref position) is { } member)
                    {
                        result.Add(member);
                    }

                    position = Math.Max(position, before + 1);
                }

                position++;
                result.Add(EnvelopeAddress.GroupEnd);
                continue;
            }

            position = start;
            if (Mailbox(tokens, ref position) is { } mailbox)
            {
                result.Add(mailbox);
            }

            position = Math.Max(position, start + 1);
        }

        return result;
    }

    /// <summary>name-addr or addr-spec, up to the ',' or ';' or ':' that ends it.</summary>
    private static EnvelopeAddress? Mailbox(List<Token> tokens, ref int position)
    {
        var firstWord = position;
        var phrase = Words(tokens, ref position, out var comment);
        if (position < tokens.Count && tokens[position].Is('<'))
        {
            position++;
            string? route = null;
            if (position < tokens.Count && tokens[position].Is('@'))
            {
                var route_ = new StringBuilder();
                while (position < tokens.Count && !tokens[position].Is(':') && !tokens[position].Is('>'))
                {
                    route_.Append(tokens[position].Text);
                    position++;
                }

                if (position < tokens.Count && tokens[position].Is(':'))
                {
                    position++;
                    route = route_.ToString();
                }
            }

            var (local, host) = AddrSpec(tokens, ref position, ref comment);
            while (position < tokens.Count && !tokens[position].Is('>') && !tokens[position].Is(','))
            {
                position++;
            }

            if (position < tokens.Count && tokens[position].Is('>'))
            {
                position++;
            }

            return new EnvelopeAddress(phrase.Length > 0 ? phrase : comment, route, local, host ?? (local.Length == 0 ? string.Empty : MissingDomain));
        }

        // An addr-spec alone: what was read as a phrase is its local part.
        position = firstWord;
        comment = null;
        var (addrLocal, addrHost) = AddrSpec(tokens, ref position, ref comment);
        while (position < tokens.Count && !tokens[position].Is(',') && !tokens[position].Is(';'))
        {
            position++;
        }

        return addrLocal.Length == 0 && addrHost is null ? null : new EnvelopeAddress(comment, null, addrLocal, addrHost ?? MissingDomain);
    }

    /// <summary>local-part ['@' domain]: the local part's words and dots joined, the domain's atoms, dots and literals, comments left out.</summary>
    private static (string Local, string? Host) AddrSpec(List<Token> tokens, ref int position, ref string? comment)
    {
        var local = new StringBuilder();
        var started = false;
        for (; position < tokens.Count; position++)
        {
            var token = tokens[position];
            if (token.Kind == TokenKind.Comment)
            {
                comment = started ? token.Text : comment;
                continue;
            }

            if (token.Kind is TokenKind.Atom or TokenKind.Quoted || token.Is('.'))
            {
                local.Append(token.Text);
                started = true;
                continue;
            }

            break;
        }

        if (position >= tokens.Count || !tokens[position].Is('@'))
        {
            return (local.ToString(), null);
        }

        position++;
        var host = new StringBuilder();
        for (; position < tokens.Count; position++)
        {
            var token = tokens[position];
            if (token.Kind == TokenKind.Comment)
            {
                comment = token.Text;
                continue;
            }

            if (token.Kind is TokenKind.Atom or TokenKind.DomainLiteral || token.Is('.'))
            {
                host.Append(token.Text);
                continue;
            }

            break;
        }

        return (local.ToString(), host.ToString());
    }

    /// <summary>A phrase: words (atoms, quoted strings, dots) joined by one space; the last comment after its first word.</summary>
    private static string Words(List<Token> tokens, ref int position, out string? comment)
    {
        comment = null;
        var words = new StringBuilder();
        var started = false;
        for (; position < tokens.Count; position++)
        {
            var token = tokens[position];
            if (token.Kind == TokenKind.Comment)
            {
                comment = started ? token.Text : comment;
                continue;
            }

            if (token.Kind is not (TokenKind.Atom or TokenKind.Quoted) && !token.Is('.'))
            {
                break;
            }

            if (started && !token.Is('.') && words.Length > 0 && words[^1] != '.')
            {
                words.Append(' ');
            }

            words.Append(token.Text);
            started = true;
        }

        return words.ToString();
    }

    private enum TokenKind
    {
        Atom,
        Quoted,
        Comment,
        DomainLiteral,
        Special,
    }

    private readonly record struct Token(TokenKind Kind, string Text)
    {
        public bool Is(char special) => Kind == TokenKind.Special && Text[0] == special;
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var position = 0;
        while (position < text.Length)
        {
            var c = text[position];
            switch (c)
            {
                case ' ' or '\t' or '\r' or '\n':
                    position++;
                    break;
                case '"':
                    tokens.Add(new Token(TokenKind.Quoted, Delimited(text, ref position, '"')));
                    break;
                case '(':
                    tokens.Add(new Token(TokenKind.Comment, Comment(text, ref position)));
                    break;
                case '[':
                    var literalStart = position;
                    var close = text.IndexOf(']', position);
                    position = close < 0 ? text.Length : close + 1;
                    tokens.Add(new Token(TokenKind.DomainLiteral, text[literalStart..position]));
                    break;
                case '<' or '>' or '@' or ',' or ';' or ':' or '.' or ')' or ']' or '\\':
                    tokens.Add(new Token(TokenKind.Special, c.ToString()));
                    position++;
                    break;
                default:
                    var start = position;
                    while (position < text.Length && text[position] is not (' ' or '\t' or '\r' or '\n' or '"' or '(' or ')' or '<' or '>' or '@' or ',' or ';' or ':' or '.' or '[' or ']' or '\\'))
                    {
                        position++;
                    }

                    tokens.Add(new Token(TokenKind.Atom, text[start..position]));
                    break;
            }
        }

        return tokens;
    }

    /// <summary>A quoted string's content, quoted pairs undone.</summary>
    private static string Delimited(string text, ref int position, char end)
    {
        var value = new StringBuilder();
        position++;
        while (position < text.Length && text[position] != end)
        {
            if (text[position] == '\\' && position + 1 < text.Length)
            {
                position++;
            }

            value.Append(text[position++]);
        }

        position = Math.Min(text.Length, position + 1);
        return value.ToString();
    }

    /// <summary>A comment's content without its outer parentheses; nested ones kept (RFC 5322 §3.2.2).</summary>
    private static string Comment(string text, ref int position)
    {
        var value = new StringBuilder();
        var depth = 0;
        do
        {
            var c = text[position];
            if (c == '\\' && position + 1 < text.Length)
            {
                value.Append(text[position + 1]);
                position += 2;
                continue;
            }

            depth += c switch { '(' => 1, ')' => -1, _ => 0 };
            if (!(depth == 0 && c == ')') && !(depth == 1 && c == '(' && value.Length == 0))
            {
                value.Append(c);
            }

            position++;
        }
        while (depth > 0 && position < text.Length);

        return value.ToString();
    }
}
