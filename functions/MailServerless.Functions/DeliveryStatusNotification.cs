using System.Globalization;
using System.Text;
using MimeKit;

namespace MailServerless.Functions;

/// <summary>One recipient a bounce reports.</summary>
/// <param name="FinalRecipient">The address delivery was tried to (after alias expansion).</param>
/// <param name="OriginalRecipient">The envelope recipient as accepted; empty when not known (a relayed copy).</param>
/// <param name="Status">The RFC 3463 status, e.g. <c>5.2.2</c>.</param>
/// <param name="Diagnostic">The SMTP-style diagnostic, e.g. <c>552 5.2.2 Sorry, …</c>.</param>
/// <param name="RemoteMta">The host that refused, when one answered.</param>
public sealed record FailedRecipient(string FinalRecipient, string OriginalRecipient, string Status, string Diagnostic, string? RemoteMta = null);

/// <summary>
/// Builds a bounce: an RFC 3464 delivery status notification (<c>multipart/report;
/// report-type=delivery-status</c>) with a human-readable part, the machine-readable status and the
/// original message's headers (RFC 6522), from <c>MAILER-DAEMON</c> to the original sender.
/// </summary>
public static class DeliveryStatusNotification
{
    public static MimeMessage Build(
        string reportingHost, string originalSender, string queueId, DateTimeOffset arrival, IReadOnlyList<FailedRecipient> failures,
        Stream originalMessage)
    {
        ArgumentNullException.ThrowIfNull(failures);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{reportingHost}"));
        message.To.Add(MailboxAddress.Parse(originalSender));
        message.Subject = "Undelivered Mail Returned to Sender";
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(reportingHost);
        // RFC 3834 §5: an automatic reply, so that no one auto-replies to it in turn.
        message.Headers.Add("Auto-Submitted", "auto-replied");

        var report = new MultipartReport("delivery-status");
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"This is the mail system at host {reportingHost}.\n\n")
            .Append("I'm sorry to have to inform you that your message could not\n")
            .Append("be delivered to one or more recipients. It's attached below.\n\n");
        foreach (var failure in failures)
        {
            text.Append(CultureInfo.InvariantCulture, $"<{failure.FinalRecipient}>: {failure.Diagnostic}\n");
        }

        report.Add(new TextPart("plain") { Text = text.ToString() });

        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", $"dns; {reportingHost}" },
            { "X-Queue-ID", queueId },
            { "Arrival-Date", MimeKit.Utils.DateUtils.FormatDate(arrival) },
        };
        status.StatusGroups.Add(perMessage);
        foreach (var failure in failures)
        {
            var group = new HeaderList
            {
                { "Final-Recipient", $"rfc822; {failure.FinalRecipient}" },
                { "Action", "failed" },
                { "Status", failure.Status },
                { "Diagnostic-Code", $"smtp; {failure.Diagnostic}" },
            };
            if (failure.OriginalRecipient.Length > 0)
            {
                // RFC 3464 §2.3.1: the recipient as the sender gave it, when it is known.
                group.Insert(1, new Header("Original-Recipient", $"rfc822; {failure.OriginalRecipient}"));
            }

            if (failure.RemoteMta is { } remote)
            {
                group.Add("Remote-MTA", $"dns; {remote}");
            }

            status.StatusGroups.Add(group);
        }

        report.Add(status);
        if (TryReadHeaders(originalMessage) is { } headers)
        {
            report.Add(headers);
        }

        message.Body = report;
        return message;
    }

    /// <summary>The original's header block as <c>text/rfc822-headers</c>; null when it cannot be read.</summary>
    private static MimePart? TryReadHeaders(Stream original)
    {
        try
        {
            var headers = HeaderList.Load(original);
            var bytes = new MemoryStream();
            headers.WriteTo(bytes);
            bytes.Position = 0;
            return new MimePart("text", "rfc822-headers") { Content = new MimeContent(bytes) };
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
