using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// When an automatic reply must not be sent (RFC 3834 §2, and PostfixAdmin's vacation.pl): to the null
/// sender, to mailer daemons and list addresses, to mail that is itself automatic, bulk or from a list.
/// </summary>
public static class AutoReplyRules
{
    private static readonly string[] ListHeaders =
        ["List-Id", "List-Post", "List-Unsubscribe", "List-Help", "List-Subscribe", "List-Owner", "Mailing-List", "X-Mailing-List", "X-ML-Name"];

    private static readonly string[] DaemonLocalParts =
        ["mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"];

    /// <summary>Why no reply may go to this message; null when one may.</summary>
    public static string? Refusal(string envelopeSender, HeaderList headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (string.IsNullOrEmpty(envelopeSender))
        {
            return "null sender";
        }

        var local = envelopeSender[..Math.Max(0, envelopeSender.LastIndexOf('@'))].ToLowerInvariant();
        if (DaemonLocalParts.Contains(local) || local.StartsWith("owner-", StringComparison.Ordinal) ||
            local.EndsWith("-request", StringComparison.Ordinal) || local.StartsWith("bounce-", StringComparison.Ordinal))
        {
            return $"sender {envelopeSender} is a daemon or list address";
        }

        // RFC 3834 §5: anything but the keyword "no" (perhaps with a comment or parameters) is automatic.
        if (headers["Auto-Submitted"] is { } submitted &&
            !submitted.Split([';', '(', ' ', '\t'], 2, StringSplitOptions.TrimEntries)[0].Trim().Equals("no", StringComparison.OrdinalIgnoreCase))
        {
            return $"Auto-Submitted: {submitted.Trim()}";
        }

        if (headers["Precedence"]?.Trim().ToLowerInvariant() is "bulk" or "list" or "junk" && headers["Precedence"] is { } precedence)
        {
            return $"Precedence: {precedence.Trim()}";
        }

        if (ListHeaders.FirstOrDefault(h => headers.Contains(h)) is { } list)
        {
            return $"mailing list ({list})";
        }

        if (headers["X-Spam-Flag"]?.Trim().Equals("YES", StringComparison.OrdinalIgnoreCase) == true)
        {
            return "marked as spam";
        }

        if (headers["X-Auto-Response-Suppress"] is { } suppress &&
            suppress.Split(',', StringSplitOptions.TrimEntries).Any(v => v.Equals("All", StringComparison.OrdinalIgnoreCase) || v.Equals("OOF", StringComparison.OrdinalIgnoreCase)))
        {
            return $"X-Auto-Response-Suppress: {suppress.Trim()}";
        }

        return null;
    }
}
