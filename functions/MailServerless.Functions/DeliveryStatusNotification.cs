using System.Globalization;
using System.Text;
using MailServerless.Core.Queue;
using MimeKit;

namespace MailServerless.Functions;

/// <summary>One recipient a notice reports.</summary>
/// <param name="FinalRecipient">The address delivery was tried to (after alias expansion).</param>
/// <param name="OriginalRecipient">The envelope recipient as accepted; empty when not known (a relayed copy).</param>
/// <param name="Status">The RFC 3463 status, e.g. <c>5.2.2</c>.</param>
/// <param name="Diagnostic">The SMTP-style diagnostic, e.g. <c>552 5.2.2 Sorry, …</c>.</param>
/// <param name="RemoteMta">The host that refused, when one answered.</param>
public sealed record ReportedRecipient(string FinalRecipient, string OriginalRecipient, string Status, string Diagnostic, string? RemoteMta = null)
{
    /// <summary>The recipient as the envelope carries it, under which its DSN parameters are kept.</summary>
    public string QueuedAs => OriginalRecipient.Length > 0 ? OriginalRecipient : FinalRecipient;
}

/// <summary>What a notice says happened to its recipients: RFC 3464 §2.3.3's Action.</summary>
public enum NoticeKind
{
    /// <summary>Not delivered, and will not be: the bounce.</summary>
    Failed,

    /// <summary>Not delivered yet; still being tried.</summary>
    Delayed,

    /// <summary>Delivered into the recipient's mailbox.</summary>
    Delivered,

    /// <summary>Handed to a next hop that does not pass DSN requests on, so no more news will come.</summary>
    Relayed,
}

/// <summary>
/// Builds a delivery status notification (RFC 3464: <c>multipart/report; report-type=delivery-status</c>) with a
/// human-readable part, the machine-readable status and the original message (RFC 3461 §4.3: its header section, or
/// the whole of it for RET=FULL up to a size limit), from <c>MAILER-DAEMON</c> to the original sender. Its texts
/// are Postfix's.
/// </summary>
public static class DeliveryStatusNotification
{
    public static MimeMessage Build(
        string reportingHost, QueuedMessage original, NoticeKind kind, IReadOnlyList<ReportedRecipient> recipients, Stream originalMessage,
        long fullReturnLimit = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(recipients);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{reportingHost}"));
        message.To.Add(MailboxAddress.Parse(original.MailFrom));
        message.Subject = kind switch
        {
            NoticeKind.Failed => "Undelivered Mail Returned to Sender",
            NoticeKind.Delayed => "Delayed Mail (still being retried)",
            _ => "Successful Mail Delivery Report",
        };
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(reportingHost);
        // RFC 3834 §5: an automatic reply, so that no one auto-replies to it in turn.
        message.Headers.Add("Auto-Submitted", "auto-replied");

        var report = new MultipartReport("delivery-status");
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"This is the mail system at host {reportingHost}.\n\n")
            .Append(kind switch
            {
                NoticeKind.Failed => "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n",
                NoticeKind.Delayed => "####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for more than a while.\nIt will be retried until it is too old.\n\n",
                NoticeKind.Delivered => "Your message was successfully delivered to the destination(s)\nlisted below.\n\n",
                _ => "Your message was successfully delivered to the destination(s)\nlisted below. If the message was delivered to mailbox you will\nreceive no further notifications. Otherwise you may still receive\nnotifications of mail delivery errors from other systems.\n\n",
            });
        foreach (var recipient in recipients)
        {
            text.Append(CultureInfo.InvariantCulture, $"<{recipient.FinalRecipient}>: {recipient.Diagnostic}\n");
        }

        report.Add(new TextPart("plain") { Text = text.ToString() });

        var dsn = original.Dsn;
        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList { { "Reporting-MTA", $"dns; {reportingHost}" } };
        if (dsn?.EnvelopeId is { } envelopeId)
        {
            // RFC 3464 §2.2.1: the ENVID the sender gave, so that it can match the notice to what it sent.
            perMessage.Add("Original-Envelope-Id", envelopeId);
        }

        perMessage.Add("X-Queue-ID", original.Id);
        perMessage.Add("Arrival-Date", MimeKit.Utils.DateUtils.FormatDate(original.ReceivedAt));
        status.StatusGroups.Add(perMessage);
        foreach (var recipient in recipients)
        {
            var group = new HeaderList
            {
                { "Final-Recipient", $"rfc822; {recipient.FinalRecipient}" },
                { "Action", kind.ToString().ToLowerInvariant() },
                { "Status", recipient.Status },
                { "Diagnostic-Code", $"smtp; {recipient.Diagnostic}" },
            };
            // RFC 3464 §2.3.1: the recipient as the sender gave it: its ORCPT, else the address as accepted.
            var orcpt = dsn?.For(recipient.QueuedAs).OriginalRecipient;
            if (orcpt is not null)
            {
                var semicolon = orcpt.IndexOf(';', StringComparison.Ordinal);
                group.Insert(1, new Header("Original-Recipient", $"{orcpt[..semicolon]}; {orcpt[(semicolon + 1)..]}"));
            }
            else if (recipient.OriginalRecipient.Length > 0)
            {
                group.Insert(1, new Header("Original-Recipient", $"rfc822; {recipient.OriginalRecipient}"));
            }

            if (recipient.RemoteMta is { } remote)
            {
                group.Add("Remote-MTA", $"dns; {remote}");
            }

            status.StatusGroups.Add(group);
        }

        report.Add(status);
        // RFC 3461 §4.3: RET is for failures; the other notices carry the header section.
        // A REQUIRETLS message's content is not returned (RFC 8689 §5): its header section only.
        var full = kind == NoticeKind.Failed && dsn?.Return == DsnReturn.Full && original.Size <= fullReturnLimit && !original.RequireTls;
        if ((full ? TryReadMessage(originalMessage) : TryReadHeaders(originalMessage)) is { } returned)
        {
            report.Add(returned);
        }

        message.Body = report;
        return message;
    }

    /// <summary>The original whole as <c>message/rfc822</c> (RET=FULL); null when it cannot be read.</summary>
    private static MimeEntity? TryReadMessage(Stream original)
    {
        try
        {
            return new MessagePart { Message = MimeMessage.Load(original) };
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The original's header block as <c>text/rfc822-headers</c>; null when it cannot be read.</summary>
    private static MimeEntity? TryReadHeaders(Stream original)
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
