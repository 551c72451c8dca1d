using System.Globalization;
using MailServerless.Core.Sieve;
using MimeKit;

namespace MailServerless.Functions;

/// <summary>
/// The message a Sieve <c>notify</c> sends by the mailto method (RFC 5436): to the URI's recipients, from the
/// <c>:from</c> address or else the mailbox's own, with <c>Auto-Submitted: auto-notified</c>, and the importance as
/// mail clients show it. None is sent about a message that is itself automatic (RFC 5436 §2.7), so notifications
/// cannot loop.
/// </summary>
internal static class SieveNotifications
{
    /// <summary>The notification, or null with the reason none is sent.</summary>
    public static (MimeMessage? Notification, string? Reason) Build(SieveNotify notify, MimeMessage original, string mailbox, string hostName, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(notify);
        ArgumentNullException.ThrowIfNull(original);
        if (original.Headers["Auto-Submitted"] is { } submitted &&
            !submitted.Split([';', '(', ' ', '\t'], 2, StringSplitOptions.TrimEntries)[0].Equals("no", StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"the message is automatic (Auto-Submitted: {submitted.Trim()})");
        }

        var message = new MimeMessage();
        message.From.Add(notify.From is { } from && MailboxAddress.TryParse(from, out var sender) ? sender : MailboxAddress.Parse(mailbox));
        message.To.AddRange(notify.Mailto.To.Select(a => new MailboxAddress(string.Empty, a)));
        message.Cc.AddRange(notify.Mailto.Cc.Select(a => new MailboxAddress(string.Empty, a)));
        message.Subject = notify.Subject ?? "Notification: " + (original.Subject is { Length: > 0 } subject ? subject : "(no subject)");
        message.Date = now;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(hostName);
        message.Headers.Add("Auto-Submitted", "auto-notified");
        var (priority, importance) = notify.Importance switch
        {
            1 => ("1 (Highest)", "high"),
            3 => ("5 (Lowest)", "low"),
            _ => ("3 (Normal)", "normal"),
        };
        message.Headers.Add("X-Priority", priority);
        message.Headers.Add("Importance", importance);
        foreach (var (name, value) in notify.Mailto.Headers)
        {
            message.Headers.Add(name, value);
        }

        message.Body = new TextPart("plain")
        {
            Text = notify.Mailto.Body ?? string.Create(CultureInfo.InvariantCulture,
                $"New mail for {mailbox}\nFrom: {original.From}\nSubject: {original.Subject}\n"),
        };
        return (message, null);
    }
}
