using System.Globalization;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// The part of an IMAP URL (RFC 5092 §6) that names a message or a part of one on this server:
/// <c>[imap://authority]/mailbox[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]</c>, or <c>;UID=n…</c> relative
/// to the selected mailbox. Mailbox and section are percent-decoded; the mailbox stays in modified UTF-7, as on the wire.
/// </summary>
public sealed record ImapUrl(string? Mailbox, uint? UidValidity, uint Uid, string? Section, string? Partial)
{
    public static ImapUrl? Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var rest = url;
        if (rest.StartsWith("imap://", StringComparison.OrdinalIgnoreCase))
        {
            var slash = rest.IndexOf('/', "imap://".Length);
            if (slash < 0)
            {
                return null;
            }

            rest = rest[slash..];
        }

        string? mailbox = null;
        uint? validity = null;
        if (rest.StartsWith('/'))
        {
            var end = rest.IndexOf(";UID", StringComparison.OrdinalIgnoreCase);
            if (end < 0)
            {
                return null;
            }

            var path = rest[1..end];
            rest = rest[end..];
            if (rest.StartsWith(";UIDVALIDITY=", StringComparison.OrdinalIgnoreCase))
            {
                var slash = rest.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0 || !TryNumber(rest[";UIDVALIDITY=".Length..slash], out var v))
                {
                    return null;
                }

                validity = v;
                rest = rest[(slash + 1)..];
                mailbox = Unescape(path);
            }
            else if (path.EndsWith('/'))
            {
                mailbox = Unescape(path[..^1]);
            }
            else
            {
                return null; // "/mailbox;UID=…" without the slash before ;UID
            }
        }

        var fields = rest.Split('/');
        if (fields.Length == 0 || !fields[0].StartsWith(";UID=", StringComparison.OrdinalIgnoreCase) || !TryNumber(fields[0][5..], out var uid) || uid == 0)
        {
            return null;
        }

        string? section = null, partial = null;
        foreach (var field in fields.Skip(1))
        {
            if (field.StartsWith(";SECTION=", StringComparison.OrdinalIgnoreCase) && section is null && partial is null)
            {
                section = Unescape(field[";SECTION=".Length..]);
            }
            else if (field.StartsWith(";PARTIAL=", StringComparison.OrdinalIgnoreCase) && partial is null)
            {
                var range = field[";PARTIAL=".Length..];
                partial = range.Contains('.', StringComparison.Ordinal) ? range : range + "." + uint.MaxValue.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                return null; // ;URLAUTH= and anything else are not offered
            }
        }

        return new ImapUrl(mailbox, validity, uid, section, partial);
    }

    private static bool TryNumber(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
