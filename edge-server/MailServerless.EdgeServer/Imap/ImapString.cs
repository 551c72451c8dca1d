using System.Globalization;
using System.Text;

namespace MailServerless.EdgeServer.Imap;

/// <summary>Strings in responses (RFC 3501 §4.3): quoted when safe, a literal otherwise, NIL for none.</summary>
public static class ImapString
{
    public static string NString(string? value) => value is null ? "NIL" : Quote(value);

    /// <summary>
    /// A quoted string, or a literal when the text holds CR, LF, NUL or (unless <paramref name="utf8"/>: a session
    /// with UTF8=ACCEPT or IMAP4rev2 on, whose quoted strings may carry UTF-8, RFC 6855 §3) 8-bit characters.
    /// </summary>
    public static string Quote(string value, bool utf8 = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        var escapes = 0;
        foreach (var c in value)
        {
            if (c is '\r' or '\n' or '\0' or (char)0x7f || (c > 0x7f && !utf8))
            {
                return $"{{{Encoding.UTF8.GetByteCount(value).ToString(CultureInfo.InvariantCulture)}}}\r\n{value}";
            }

            if (c is '"' or '\\')
            {
                escapes++;
            }
        }

        if (escapes == 0)
        {
            return string.Concat("\"", value, "\"");
        }

        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>
    /// An astring: the atom as it is when it is one (mailbox names in LIST), else quoted. A name with '[' is quoted
    /// too, as Dovecot does: an ATOM-CHAR, but parsers that take it for a section opener are common.
    /// </summary>
    public static string AString(string value, bool utf8 = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length > 0 && value.All(IsAtomChar) ? value : Quote(value, utf8);
    }

    private static bool IsAtomChar(char c) =>
        c is > ' ' and < (char)0x7f && c is not ('(' or ')' or '{' or '%' or '*' or '"' or '\\' or ']' or '[');
}
