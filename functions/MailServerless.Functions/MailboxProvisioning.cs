using MailServerless.Core.Accounts;
using MailServerless.Core.Administration;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MimeKit;

namespace MailServerless.Functions;

/// <summary>
/// What a new mailbox gets besides its directory rows: its Maildir with the special-use folders, and the
/// welcome mail (PostfixAdmin's <c>welcome_text</c>; the seed relies on it to create the mailbox), which goes
/// through the inbound queue like any message — or, from the command line, where the running server owns
/// the spool, straight into the new Maildir. A deleted mailbox's Maildir is removed only when asked.
/// </summary>
public sealed class MailboxProvisioning(
    MaildirStore store, IMessageQueue? inbound, IBlobStore? blobs, AdministrationOptions options, string hostName, TimeProvider clock)
    : IMailboxProvisioning
{
    public async Task CreatedAsync(Mailbox mailbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        store.OpenMailbox(mailbox.Maildir, new QuotaLimit(mailbox.QuotaBytes)).EnsureCreated(withDefaultFolders: true);
        if (string.IsNullOrEmpty(options.WelcomeSubject))
        {
            return;
        }

        // Built with MimeKit from the stored values: a name with CR/LF or quotes cannot add headers.
        var welcome = new MimeMessage();
        welcome.From.Add(new MailboxAddress("Postmaster", $"postmaster@{mailbox.Domain}"));
        welcome.To.Add(new MailboxAddress(mailbox.Name, mailbox.Username));
        welcome.Subject = options.WelcomeSubject;
        welcome.Date = clock.GetUtcNow();
        welcome.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(hostName);
        welcome.Headers.Add("Auto-Submitted", "auto-generated");
        welcome.Body = new TextPart("plain") { Text = options.WelcomeText.Replace("\n", "\r\n", StringComparison.Ordinal) };

        var id = SpoolNames.NewId(clock);
        using var bytes = new MemoryStream();
        await welcome.WriteToAsync(FormatOptions.Default, bytes, cancellationToken);
        bytes.Position = 0;
        if (inbound is null || blobs is null)
        {
            var result = await store.Delivery.DeliverAsync(mailbox.Maildir, QuotaLimit.Unlimited, id, clock.GetUtcNow(), bytes, cancellationToken: cancellationToken);
            if (!result.Succeeded)
            {
                throw new IOException($"the welcome mail for {mailbox.Username} was not delivered: {result.Detail}");
            }

            return;
        }

        var size = await blobs.PutAsync(id, bytes, cancellationToken);
        await inbound.EnqueueAsync(new QueuedMessage
        {
            Id = id,
            ReceivedAt = clock.GetUtcNow(),
            MailFrom = $"postmaster@{mailbox.Domain}",
            Recipients = [mailbox.Username],
            BodyKey = id,
            Size = size,
        }, cancellationToken);
    }

    public async Task<MailboxUsage?> UsageAsync(string maildir, long quotaBytes, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(MaildirLayout.MailboxRoot(store.BasePath, maildir)))
        {
            return null;
        }

        var usage = await store.OpenMailbox(maildir, new QuotaLimit(quotaBytes)).GetQuotaUsageAsync(cancellationToken);
        return new MailboxUsage(usage.Bytes, usage.Messages);
    }

    public async Task<MailboxUsage?> RecalculateUsageAsync(string maildir, long quotaBytes, CancellationToken cancellationToken)
    {
        var root = MaildirLayout.MailboxRoot(store.BasePath, maildir);
        if (!Directory.Exists(root))
        {
            return null;
        }

        var usage = await new MaildirQuota(root, clock).RecalculateAsync(new QuotaLimit(quotaBytes), cancellationToken);
        return new MailboxUsage(usage.Bytes, usage.Messages);
    }

    public Task DeletedAsync(string maildir, bool removeFiles, CancellationToken cancellationToken)
    {
        if (removeFiles)
        {
            // MailboxRoot refuses a maildir value that would leave the store.
            var root = MaildirLayout.MailboxRoot(store.BasePath, maildir);
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }

        return Task.CompletedTask;
    }
}
