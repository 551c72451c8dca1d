using MailServerless.Core.Queue;
using MailServerless.Core.Sieve;
using MailServerless.Functions.Outbound;
using MimeKit;

namespace MailServerless.Functions;

/// <summary>
/// Sends the reply of a Sieve <c>vacation</c> action (RFC 5230): never to automatic or list mail or a daemon
/// (RFC 3834), only when the message was addressed to the user (their address or one of <c>:addresses</c> in To, Cc
/// or Bcc, §4.5), and at most once per sender and handle per period. Who was answered when is kept in the mailbox's
/// home (<c>~/.msl-sieve-vacation</c>), bounded and pruned of expired entries.
/// </summary>
internal static class SieveVacationReplies
{
    /// <summary>The reply to queue, or null with the reason none is sent.</summary>
    public static (MimeMessage? Reply, string? Reason) Build(
        SieveVacation vacation, MimeMessage original, string sender, string mailbox, string recipient, string root, DateTimeOffset now)
    {
        if (AutoReplyRules.Refusal(sender, original.Headers) is { } refusal)
        {
            return (null, refusal);
        }

        var own = new HashSet<string>(vacation.Addresses.Append(mailbox).Append(recipient), StringComparer.OrdinalIgnoreCase);
        var addressed = original.To.Mailboxes.Concat(original.Cc.Mailboxes).Concat(original.Bcc.Mailboxes).Any(m => own.Contains(m.Address));
        if (!addressed)
        {
            return (null, "the message was not addressed to the user (RFC 5230 §4.5)");
        }

        if (!SieveMemory.Add(root, SieveMemory.VacationFile, vacation.Handle + "\0" + sender.ToLowerInvariant(), vacation.Seconds, now))
        {
            return (null, $"already answered {sender} within {vacation.Seconds} seconds");
        }

        var reply = new MimeMessage();
        reply.From.Add(vacation.From is { } from && MailboxAddress.TryParse(from, out var parsed) ? parsed : MailboxAddress.Parse(recipient));
        reply.To.Add(MailboxAddress.Parse(sender));
        reply.Subject = vacation.Subject ?? "Auto: " + (original.Subject ?? string.Empty);
        reply.Date = now;
        reply.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(mailbox[(mailbox.LastIndexOf('@') + 1)..]);
        if (original.MessageId is { Length: > 0 } id)
        {
            reply.InReplyTo = id;
            reply.References.Add(id);
        }

        reply.Headers.Add("Auto-Submitted", "auto-replied");
        if (vacation.Mime)
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vacation.Reason));
            reply.Body = MimeEntity.Load(stream);
        }
        else
        {
            reply.Body = new TextPart("plain") { Text = vacation.Reason };
        }

        return (reply, null);
    }
}
