using System.Text;

namespace MailServerless.Core.Sieve;

/// <summary>
/// The <c>${…}</c> of Sieve strings (RFC 5228 §2.4.2.4 encoded characters, RFC 5229 §3 variables): each
/// <c>${inner}</c> is replaced by what <c>resolve</c> gives for its inner text; one it does not know (null) stays as
/// written. One pass, linear in the text.
/// </summary>
internal static class SieveSubstitution
{
    public static string Replace(string text, Func<string, string?> resolve)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf("${", i, StringComparison.Ordinal);
            var close = start < 0 ? -1 : text.IndexOf('}', start);
            if (start < 0 || close < 0)
            {
                break;
            }

            if (resolve(text[(start + 2)..close]) is not { } value)
            {
                result.Append(text, i, start + 2 - i);
                i = start + 2;
                continue;
            }

            result.Append(text, i, start - i).Append(value);
            i = close + 1;
        }

        return result.Append(text, i, text.Length - i).ToString();
    }
}
