using MimeKit;

namespace MailServerless.Functions;

/// <summary>
/// The refusal a Sieve <c>reject</c> or <c>ereject</c> sends once the message was accepted (RFC 5429 §2.1.1): an MDN
/// (RFC 8098, <c>multipart/report; report-type=disposition-notification</c>) with the reason, the disposition
/// <c>deleted</c>, and the message refused, from the postmaster to the envelope sender, as Pigeonhole's is.
/// </summary>
internal static class SieveRejections
{
    /// <summary>The MDN; null when the sender is the null sender, to whom none may go (RFC 5429 §2.1.1: the message is discarded).</summary>
    public static MimeMessage? Build(
        string reportingHost, string sender, string finalRecipient, string originalRecipient, string reason, MimeMessage original, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (string.IsNullOrEmpty(sender) || !MailboxAddress.TryParse(sender, out var to))
        {
            return null;
        }

        var mdn = new MimeMessage();
        mdn.From.Add(new MailboxAddress("Postmaster", $"postmaster@{reportingHost}"));
        mdn.To.Add(to);
        mdn.Subject = "Rejected: " + (original.Subject ?? string.Empty);
        mdn.Date = now;
        mdn.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(reportingHost);
        if (original.MessageId is { Length: > 0 } id)
        {
            mdn.InReplyTo = id;
        }

        // RFC 3834 §5 and RFC 5429 §2.1.1: an automatic response, which no one answers automatically in turn.
        mdn.Headers.Add("Auto-Submitted", "auto-replied (rejected)");
        mdn.Headers.Add("Precedence", "bulk");

        var report = new MultipartReport("disposition-notification");
        report.Add(new TextPart("plain")
        {
            Text = $"Your message to <{finalRecipient}> was automatically rejected:\n{reason.ReplaceLineEndings("\n")}\n",
        });

        var disposition = new MessageDispositionNotification();
        disposition.Fields.Add("Reporting-UA", $"{reportingHost}; MailServerless Sieve");
        if (originalRecipient.Length > 0 && !originalRecipient.Equals(finalRecipient, StringComparison.OrdinalIgnoreCase))
        {
            disposition.Fields.Add("Original-Recipient", $"rfc822; {originalRecipient}");
        }

        disposition.Fields.Add("Final-Recipient", $"rfc822; {finalRecipient}");
        if (original.MessageId is { Length: > 0 })
        {
            disposition.Fields.Add("Original-Message-ID", $"<{original.MessageId}>");
        }

        disposition.Fields.Add("Disposition", "automatic-action/MDN-sent-automatically; deleted");
        report.Add(disposition);
        report.Add(new MessagePart { Message = original });
        mdn.Body = report;
        return mdn;
    }
}
