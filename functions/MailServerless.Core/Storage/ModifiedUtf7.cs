using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself
/// ('&amp;' as "&amp;-"), anything else is UTF-16 in base64 with ',' for '/' between '&amp;' and '-'.
/// </summary>
public static class ModifiedUtf7
{
    public static string Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new StringBuilder(text.Length);
        var pending = new StringBuilder();
        foreach (var c in text)
        {
            if (c is >= ' ' and <= '~')
            {
                Flush(result, pending);
                result.Append(c == '&' ? "&-" : c.ToString());
            }
            else
            {
                pending.Append(c);
            }
        }

        Flush(result, pending);
        return result.ToString();
    }

    public static bool TryDecode(string encoded, out string text)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        text = string.Empty;
        var result = new StringBuilder(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c is < ' ' or > '~')
            {
                return false;
            }

            if (c != '&')
            {
                result.Append(c);
                continue;
            }

            var end = encoded.IndexOf('-', i + 1);
            if (end < 0)
            {
                return false;
            }

            if (end == i + 1)
            {
                result.Append('&');
                i = end;
                continue;
            }

            var base64 = encoded[(i + 1)..end].Replace(',', '/');
            var padded = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var bytes = new byte[padded.Length];
            if (!Convert.TryFromBase64String(padded, bytes, out var written) || written % 2 != 0)
            {
                return false;
            }

            var decoded = Encoding.BigEndianUnicode.GetString(bytes, 0, written);
            if (decoded.Any(ch => ch is >= ' ' and <= '~'))
            {
                return false; // printable ASCII must not be encoded (RFC 3501 §5.1.3)
            }

            result.Append(decoded);
            i = end;
        }

        text = result.ToString();
        return true;
    }

    private static void Flush(StringBuilder result, StringBuilder pending)
    {
        if (pending.Length == 0)
        {
            return;
        }

        var base64 = Convert.ToBase64String(Encoding.BigEndianUnicode.GetBytes(pending.ToString())).TrimEnd('=').Replace('/', ',');
        result.Append('&').Append(base64).Append('-');
        pending.Clear();
    }
}
