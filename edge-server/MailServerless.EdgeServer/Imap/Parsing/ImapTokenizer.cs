using System.Text;

namespace MailServerless.EdgeServer.Imap.Parsing;

/// <summary>
/// Splits a command's text into tokens (RFC 3501 §9). The text holds a NUL where each literal stood
/// (commands cannot contain a NUL themselves), and the literals are handed in beside it.
/// </summary>
public static class ImapTokenizer
{
    public const char LiteralMarker = '\0';

    public static List<ImapToken> Tokenize(string text, IReadOnlyList<ImapLiteral> literals)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(literals);
        var position = 0;
        var literalIndex = 0;
        var tokens = ParseSequence(text, ref position, literals, ref literalIndex, depth: 0);
        if (position < text.Length)
        {
            throw new ImapSyntaxException("Unexpected ')'.");
        }

        return tokens;
    }

    private static List<ImapToken> ParseSequence(string text, ref int position, IReadOnlyList<ImapLiteral> literals, ref int literalIndex, int depth)
    {
        if (depth > 32)
        {
            throw new ImapSyntaxException("Lists nested too deeply.");
        }

        var tokens = new List<ImapToken>();
        while (true)
        {
            while (position < text.Length && text[position] == ' ')
            {
                position++;
            }

            if (position >= text.Length)
            {
                if (depth > 0)
                {
                    throw new ImapSyntaxException("Missing ')'.");
                }

                return tokens;
            }

            var c = text[position];
            switch (c)
            {
                case ')':
                    if (depth == 0)
                    {
                        return tokens;
                    }

                    position++;
                    return tokens;
                case '(':
                    position++;
                    tokens.Add(ImapToken.List(ParseSequence(text, ref position, literals, ref literalIndex, depth + 1)));
                    break;
                case '"':
                    tokens.Add(ImapToken.Quoted(ParseQuoted(text, ref position)));
                    break;
                case LiteralMarker:
                    position++;
                    if (literalIndex >= literals.Count)
                    {
                        throw new ImapSyntaxException("Literal missing.");
                    }

                    tokens.Add(ImapToken.FromLiteral(literals[literalIndex++]));
                    break;
                default:
                    tokens.Add(ImapToken.Atom(ParseAtom(text, ref position)));
                    break;
            }

            // Tokens are separated by one space, or end at ')'.
            if (position < text.Length && text[position] is not (' ' or ')'))
            {
                throw new ImapSyntaxException("Missing space between arguments.");
            }
        }
    }

    private static string ParseQuoted(string text, ref int position)
    {
        var value = new StringBuilder();
        position++;
        while (position < text.Length)
        {
            var c = text[position++];
            if (c == '"')
            {
                return value.ToString();
            }

            if (c == '\\')
            {
                // RFC 3501 §9 quoted-specials: only \\ and \" are escapes.
                if (position >= text.Length || text[position] is not ('\\' or '"'))
                {
                    throw new ImapSyntaxException("Invalid escape in quoted string.");
                }

                c = text[position++];
            }
            else if (c == LiteralMarker)
            {
                throw new ImapSyntaxException("Unterminated quoted string.");
            }

            value.Append(c);
        }

        throw new ImapSyntaxException("Unterminated quoted string.");
    }

    /// <summary>The fetch attributes whose '[' opens a section (RFC 3501 §9 fetch-att, RFC 3516 BINARY).</summary>
    private static readonly string[] SectionAttributes = ["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"];

    /// <summary>
    /// An atom (or astring: ']' is an ASTRING-CHAR, '[' an ATOM-CHAR, RFC 3501 §9). Only after a fetch attribute
    /// such as <c>BODY[</c> does '[' open a section, which may hold spaces and parentheses up to its ']'.
    /// </summary>
    private static string ParseAtom(string text, ref int position)
    {
        var start = position;
        var brackets = 0;
        while (position < text.Length)
        {
            var c = text[position];
            if (c == '[' && (brackets > 0 || IsSectionStart(text.AsSpan(start, position - start))))
            {
                brackets++;
            }
            else if (c == ']' && brackets > 0)
            {
                brackets--;
            }
            else if (brackets == 0 && (c is ' ' or '(' or ')' or '"' or '{' || c == LiteralMarker))
            {
                break;
            }
            else if (brackets > 0 && c is '"' or LiteralMarker)
            {
                // HEADER.FIELDS ("From") is legal: a quoted name inside the section.
                if (c == LiteralMarker)
                {
                    throw new ImapSyntaxException("Literal inside a section is not supported.");
                }

                ParseQuoted(text, ref position);
                continue;
            }

            position++;
        }

        if (brackets > 0)
        {
            throw new ImapSyntaxException("Missing ']'.");
        }

        if (position == start)
        {
            throw new ImapSyntaxException("Empty argument.");
        }

        return text[start..position];
    }

    private static bool IsSectionStart(ReadOnlySpan<char> atom)
    {
        foreach (var attribute in SectionAttributes)
        {
            if (atom.Equals(attribute, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
