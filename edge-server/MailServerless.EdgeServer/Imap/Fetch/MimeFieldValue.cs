using System.Text;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>
/// A Content-Type or Content-Disposition value as written (RFC 2045 §5.1, RFC 2183): the type, the subtype and the
/// parameters with their raw values. BODYSTRUCTURE passes values on as they are, as Dovecot does: RFC 2047 words stay
/// encoded and an RFC 2231 extended value keeps its <c>name*</c> and its <c>charset'language'%XX</c> form; only
/// continuations (<c>name*0</c>, <c>name*1</c>…) are joined, into <c>name</c>, or <c>name*</c> when one is extended.
/// One pass, linear in the value.
/// </summary>
public sealed record MimeFieldValue(string Type, string Subtype, IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    /// <summary>Parses <c>type/subtype; a=b</c> (<paramref name="withSubtype"/>) or <c>disposition; a=b</c>; null when there is no type.</summary>
    public static MimeFieldValue? Parse(string value, bool withSubtype)
    {
        ArgumentNullException.ThrowIfNull(value);
        var reader = new Reader(value);
        var type = reader.Token();
        if (type.Length == 0)
        {
            return null;
        }

        var subtype = string.Empty;
        if (withSubtype && reader.Take('/'))
        {
            subtype = reader.Token();
        }

        var plain = new List<KeyValuePair<string, string>>();
        var sections = new List<(string Name, int Index, bool Extended, string Value)>();
        while (reader.Take(';'))
        {
            var name = reader.Token();
            if (name.Length == 0 || !reader.Take('='))
            {
                if (reader.AtEnd || reader.Peek == ';')
                {
                    continue;
                }

                break; // junk: what follows is not read as parameters
            }

            var parameterValue = reader.Value();
            var star = name.IndexOf('*', StringComparison.Ordinal);
            if (star < 0)
            {
                plain.Add(new(name, parameterValue));
                continue;
            }

            // name*, name*N or name*N*: RFC 2231 §3-4.
            var rest = name[(star + 1)..];
            var extended = rest.EndsWith('*');
            var digits = extended ? rest[..^1] : rest;
            var index = digits.Length == 0 ? 0 : int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1;
            if (index < 0)
            {
                plain.Add(new(name, parameterValue));
                continue;
            }

            sections.Add((name[..star], index, extended || digits.Length == 0, parameterValue));
        }

        foreach (var group in sections.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase))
        {
            var ordered = group.OrderBy(s => s.Index).ToList();
            var joined = string.Concat(ordered.Select(s => s.Value));
            plain.Add(new(ordered.Any(s => s.Extended) ? group.Key + "*" : group.Key, joined));
        }

        return new MimeFieldValue(type, subtype, plain);
    }

    /// <summary>A comma-separated list of tokens (Content-Language, RFC 3282), comments skipped.</summary>
    public static IReadOnlyList<string> TokenList(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var reader = new Reader(value);
        var items = new List<string>();
        do
        {
            var token = reader.Token();
            if (token.Length > 0)
            {
                items.Add(token);
            }
        }
        while (reader.Take(','));

        return items;
    }

    private sealed class Reader(string text)
    {
        private int _position;

        public bool AtEnd
        {
            get
            {
                SkipSpaceAndComments();
                return _position >= text.Length;
            }
        }

        public char Peek => text[_position];

        public bool Take(char c)
        {
            SkipSpaceAndComments();
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }

            return false;
        }

        /// <summary>A token: anything but controls, space and tspecials (RFC 2045 §5.1).</summary>
        public string Token()
        {
            SkipSpaceAndComments();
            var start = _position;
            while (_position < text.Length && !IsSpecial(text[_position]))
            {
                _position++;
            }

            return text[start.._position];
        }

        /// <summary>A token or a quoted string, unquoted.</summary>
        public string Value()
        {
            SkipSpaceAndComments();
            if (_position >= text.Length || text[_position] != '"')
            {
                // Lenient as Dovecot: a value runs to the next ';' or white space even with tspecials in it.
                var start = _position;
                while (_position < text.Length && text[_position] is not (';' or ' ' or '\t' or '('))
                {
                    _position++;
                }

                return text[start.._position];
            }

            _position++;
            var value = new StringBuilder();
            while (_position < text.Length && text[_position] != '"')
            {
                if (text[_position] == '\\' && _position + 1 < text.Length)
                {
                    _position++;
                }

                value.Append(text[_position++]);
            }

            _position = Math.Min(text.Length, _position + 1);
            return value.ToString();
        }

        private void SkipSpaceAndComments()
        {
            while (_position < text.Length)
            {
                if (text[_position] is ' ' or '\t' or '\r' or '\n')
                {
                    _position++;
                }
                else if (text[_position] == '(')
                {
                    // Nested comments (RFC 5322 §3.2.2), with quoted pairs.
                    var depth = 0;
                    do
                    {
                        switch (text[_position])
                        {
                            case '\\':
                                _position++;
                                break;
                            case '(':
                                depth++;
                                break;
                            case ')':
                                depth--;
                                break;
                        }

                        _position++;
                    }
                    while (depth > 0 && _position < text.Length);
                    _position = Math.Min(_position, text.Length); // a quoted pair at the very end stepped past it
                }
                else
                {
                    return;
                }
            }
        }

        private static bool IsSpecial(char c) =>
            c <= ' ' || c == 0x7f || c is '(' or ')' or '<' or '>' or '@' or ',' or ';' or ':' or '\\' or '"' or '/' or '[' or ']' or '?' or '=';
    }
}
