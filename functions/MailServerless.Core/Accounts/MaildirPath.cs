namespace MailServerless.Core.Accounts;

/// <summary>
/// Checks a <c>mailbox.maildir</c> value before any path is built from it: it must be
/// relative to the store base and must not climb out of it.
/// </summary>
public static class MaildirPath
{
    public static bool IsValid(string? maildir, out string reason)
    {
        reason = string.Empty;
        if (string.IsNullOrWhiteSpace(maildir))
        {
            reason = "maildir is empty";
            return false;
        }

        if (maildir.StartsWith('/') || maildir.StartsWith('\\') || Path.IsPathRooted(maildir))
        {
            reason = $"maildir '{maildir}' is absolute";
            return false;
        }

        if (maildir.Any(c => c == '\0' || c == '\\' || char.IsControl(c)))
        {
            reason = $"maildir '{maildir}' contains a control character or backslash";
            return false;
        }

        var segments = maildir.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || segments.Any(s => s is "." or ".."))
        {
            reason = $"maildir '{maildir}' contains '.' or '..'";
            return false;
        }

        return true;
    }

    /// <summary>
    /// The layout PostfixAdmin writes with <c>domain_path = YES</c> and
    /// <c>domain_in_mailbox = NO</c>: <c>domain/localpart/</c>.
    /// </summary>
    public static string ForAddress(string localPart, string domain)
    {
        if (localPart.Length == 0 || localPart.Contains('/', StringComparison.Ordinal) || localPart is "." or ".." ||
            domain.Contains('/', StringComparison.Ordinal) || domain is "." or "..")
        {
            throw new ArgumentException($"'{localPart}@{domain}' cannot be mapped to a maildir path.");
        }

        var path = $"{domain}/{localPart}/";
        return IsValid(path, out var reason) ? path : throw new ArgumentException(reason);
    }
}
