using MailServerless.Core.Accounts;
using MailServerless.Core.Diagnostics;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace MailServerless.Functions;

/// <summary>
/// Delivers one queued inbound message: expands every recipient through the directory (aliases,
/// alias domains, catch-all), writes one copy per local mailbox into its Maildir (with
/// <c>Return-Path</c> and <c>Delivered-To</c>), hands outside addresses and vacation targets to the
/// outbound queue, and bounces what cannot be delivered. Every step is idempotent, so a message
/// handled twice (a redelivery, a crash before the acknowledgement) leaves one copy everywhere. A forward of
/// mail that came from outside leaves with its envelope sender rewritten by SRS (when <paramref name="srs"/>
/// is given and on), so it passes SPF as ours and its bounces come back to us to be sent on.
/// </summary>
public sealed partial class DeliverInbound(
    RecipientResolver resolver,
    MaildirStore store,
    IBlobStore blobs,
    IMessageQueue outbound,
    NonDeliveryReports bounces,
    DeliveryOptions options,
    ILogger<DeliverInbound> logger,
    Core.Addresses.SrsSecret? srs = null,
    SieveFilters? sieve = null,
    SieveOptions? sieveSettings = null,
    QuotaWarnings? quotaWarnings = null) : IQueueFunction
{
    private readonly SieveOptions sieveOptions = sieveSettings ?? new SieveOptions();

    public async Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Purpose != MessagePurpose.Deliver)
        {
            return FunctionResult.DeadLetter($"the inbound queue does not handle {message.Purpose} messages");
        }

        try
        {
            return await DeliverAsync(message, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            // Nothing was written before the body was first read: a missing body has done nothing yet.
            return FunctionResult.DeadLetter($"body '{message.BodyKey}' is missing");
        }
    }

    private async Task<FunctionResult> DeliverAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        var plan = new DeliveryPlan();
        try
        {
            foreach (var recipient in message.Recipients.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                plan.Add(recipient, await resolver.ResolveAsync(recipient, cancellationToken));
            }
        }
        catch (DirectoryUnavailableException e)
        {
            return FunctionResult.Retry($"directory unavailable: {e.Message}");
        }

        var temporary = new List<(string Original, string Reason)>(plan.Temporary);
        var delivered = new List<ReportedRecipient>();
        foreach (var (mailbox, target) in plan.Mailboxes.Values)
        {
            var result = await DeliverToMailboxAsync(message, mailbox, target.Address, target.Originals, cancellationToken);
            switch (result.Status)
            {
                case DeliveryStatus.Delivered:
                    MailMetrics.MailboxDelivery("delivered", DateTimeOffset.UtcNow - message.ReceivedAt);
                    LogDelivered(message.Id, target.Address, mailbox.Username, result.FileName ?? string.Empty);
                    if (quotaWarnings is not null)
                    {
                        await quotaWarnings.CheckAsync(mailbox, message.Id, result, cancellationToken);
                    }

                    delivered.AddRange(target.Originals.Select(o => new ReportedRecipient(target.Address, o, "2.0.0", "250 2.0.0 delivered to mailbox")));
                    break;
                case DeliveryStatus.AlreadyDelivered:
                    break;
                case DeliveryStatus.OverQuota:
                    MailMetrics.MailboxDelivery("over_quota");
                    foreach (var original in target.Originals)
                    {
                        plan.Failures.Add(new ReportedRecipient(target.Address, original, "5.2.2", $"552 5.2.2 {options.OverQuotaMessage}"));
                    }

                    LogBounced(message.Id, target.Address, result.Detail ?? "over quota");
                    break;
                default:
                    MailMetrics.MailboxDelivery("temporary");
                    temporary.AddRange(target.Originals.Select(o => (o, $"{mailbox.Username}: {result.Detail}")));
                    break;
            }
        }

        try
        {
            var forwarded = await ForwardedAsync(message, cancellationToken);
            await ForwardAsync(forwarded with { Dsn = ForwardedDsn(message.Dsn, plan.RemoteOriginals) }, plan.Remote, MessagePurpose.Deliver, "fwd", cancellationToken);
        }
        catch (DirectoryUnavailableException e)
        {
            // The mailboxes have their copies; the retry finds them there and only forwards.
            return FunctionResult.Retry($"directory unavailable: {e.Message}");
        }

        await ForwardAsync(message, plan.Vacation, MessagePurpose.Vacation, "vac", cancellationToken);
        await bounces.SendAsync(message, plan.Failures, cancellationToken);
        // RFC 3461 NOTIFY=SUCCESS: delivered into the mailbox, the end of the road (Action: delivered).
        await bounces.SendNoticeQuietlyAsync(message, NoticeKind.Delivered, delivered, cancellationToken);

        if (temporary.Count == 0)
        {
            return FunctionResult.Done;
        }

        // Only the recipients that failed for now are tried again: the others are settled (delivered,
        // forwarded or bounced), and a second try must not change what the sender was told.
        var waiting = temporary.Select(t => t.Original).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var remaining = await bounces.WarnOfDelayAsync(
            message with { Recipients = waiting },
            temporary.Select(t => new ReportedRecipient(t.Original, t.Original, "4.0.0", t.Reason)).ToList(), DateTimeOffset.UtcNow, cancellationToken);
        return FunctionResult.Retry(string.Join("; ", temporary.Select(t => t.Reason).Distinct()), remaining);
    }

    /// <summary>
    /// The DSN requests of a forward (RFC 3461 §6.2.7.2): each outside address an alias or forwarding leads to carries the
    /// NOTIFY and ORCPT of the envelope recipient it came from, so NEVER stays never and SUCCESS is still heard of.
    /// </summary>
    private static DsnRequest? ForwardedDsn(DsnRequest? dsn, IReadOnlyDictionary<string, string> originals) =>
        dsn is null ? null : dsn with { Recipients = originals.ToDictionary(p => p.Key, p => dsn.For(p.Value), StringComparer.OrdinalIgnoreCase) };

    /// <summary>
    /// Writes the copy for one mailbox: Return-Path and Delivered-To (and X-Original-To for a subaddress), the edge's
    /// header edits, then the message as received; into the folder the edge chose (Junk) when it exists, else the inbox.
    /// When the mailbox has Sieve scripts, they decide instead (see <see cref="FilterAsync"/>).
    /// </summary>
    private async Task<DeliveryResult> DeliverToMailboxAsync(
        QueuedMessage message, Mailbox mailbox, string deliveredTo, IReadOnlyList<string> originals, CancellationToken cancellationToken)
    {
        var prefix = $"Return-Path: <{message.MailFrom}>\r\nDelivered-To: {deliveredTo}\r\n";
        if (originals is [var original] && resolver.WithoutExtension(original) is not null && !original.Equals(deliveredTo, StringComparison.OrdinalIgnoreCase))
        {
            // Postfix's virtual(8) X-Original-To: the address as sent, with its +tag for filters.
            prefix += $"X-Original-To: {original}\r\n";
        }

        var root = MaildirLayout.MailboxRoot(store.BasePath, mailbox.Maildir);
        var scripts = sieve?.ScriptsFor(root) ?? [];
        if (scripts.Count > 0)
        {
            return await FilterAsync(message, mailbox, root, scripts, prefix, deliveredTo, originals.Count > 0 ? originals[0] : deliveredTo, cancellationToken);
        }

        return await WriteAsync(message, mailbox, prefix, message.Folder ?? MaildirLayout.Inbox, message.Id, cancellationToken);
    }

    private async Task<DeliveryResult> WriteAsync(
        QueuedMessage message, Mailbox mailbox, string prefix, string folder, string deliveryId, CancellationToken cancellationToken)
    {
        await using var body = await blobs.OpenReadAsync(message.BodyKey, cancellationToken);
        await using var content = await HeaderEdits.ApplyAsync(body, prefix, message.AddedHeaders, message.RemovedHeaders, cancellationToken);
        return await store.Delivery.DeliverAsync(
            mailbox.Maildir, new QuotaLimit(mailbox.QuotaBytes), deliveryId, message.ReceivedAt, content, folder, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Runs the mailbox's Sieve scripts on the message as it will be stored, then carries out what they decided: a
    /// copy per folder (the implicit keep into the edge's folder), with the flags imap4flags gave it and editheader's changes, redirects through the outbound queue (with SRS),
    /// a reject as an MDN to the sender. A folder that does not exist, without <c>:create</c>, gets the copy in the
    /// inbox instead, and the user's Sieve log says why, as Pigeonhole does.
    /// </summary>
    private async Task<DeliveryResult> FilterAsync(
        QueuedMessage message, Mailbox mailbox, string root, IReadOnlyList<Core.Sieve.SieveScript> scripts, string prefix, string deliveredTo,
        string original, CancellationToken cancellationToken)
    {
        // Read once: the scripts look at it, and every copy they file is written from it.
        byte[] bytes;
        await using (var body = await blobs.OpenReadAsync(message.BodyKey, cancellationToken))
        await using (var content = await HeaderEdits.ApplyAsync(body, prefix, message.AddedHeaders, message.RemovedHeaders, cancellationToken))
        using (var buffer = new MemoryStream(message.Size > 0 && message.Size < int.MaxValue - 4096 ? (int)message.Size + 1024 : 0))
        {
            await content.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }

        // Most scripts look at the header alone: the body is parsed only for one that may read it.
        var parsed = scripts.Any(s => s.ReadsBody) ? await ParseAsync(bytes, cancellationToken) : await ParseHeaderAsync(bytes, cancellationToken);

        var result = Core.Sieve.SieveScript.RunAll(
            scripts, new Core.Sieve.SieveMessage(parsed, message.MailFrom, original, message.Size, message.SpamScore, message.ReceivedAt),
            sieve!.Environment(root), new Core.Sieve.SieveLimits { MaxRedirects = sieveOptions.MaxRedirects });
        if (result.Error is { } error)
        {
            LogSieveError(message.Id, mailbox.Username, error);
            SieveFilters.UserLog(root, $"{message.Id}: {error}; the message was kept");
        }

        if (SieveHeaderChanges.Any(result))
        {
            bytes = SieveHeaderChanges.Apply(bytes, result);
        }

        var stores = result.Actions.OfType<Core.Sieve.SieveStore>().Select(s => (s.Mailbox, s.Create, s.Flags)).ToList();
        if (result.ImplicitKeep)
        {
            // With the default before-script, Junk is its rule; without it, the edge's folder still applies.
            stores.Add((sieveOptions.DefaultBefore ? MaildirLayout.Inbox : message.Folder ?? MaildirLayout.Inbox, true, result.KeepFlags));
        }

        DeliveryResult? outcome = null;
        // Every copy filed counts against the quota: a warning looks at all of them together.
        QuotaUsage? quotaBefore = null;
        long filedBytes = 0;
        foreach (var (wanted, create, flags) in stores.DistinctBy(s => s.Mailbox, StringComparer.Ordinal))
        {
            var folder = wanted;
            if (!create && !MaildirLayout.IsInbox(folder) && !MaildirLayout.ListFolders(root).Contains(folder, StringComparer.Ordinal))
            {
                SieveFilters.UserLog(root, $"{message.Id}: fileinto \"{folder}\": the folder does not exist; kept in INBOX");
                folder = MaildirLayout.Inbox;
            }

            if (!MaildirLayout.IsValidFolderName(folder, out var reason))
            {
                SieveFilters.UserLog(root, $"{message.Id}: fileinto \"{folder}\": {reason}; kept in INBOX");
                folder = MaildirLayout.Inbox;
            }

            // One marker per folder, so each copy is written once however often the message is retried.
            var deliveryId = MaildirLayout.IsInbox(folder) ? message.Id : $"{message.Id}-{TargetSet.Digest([folder])}";
            var written = await store.Delivery.DeliverAsync(
                mailbox.Maildir, new QuotaLimit(mailbox.QuotaBytes), deliveryId, message.ReceivedAt, new MemoryStream(bytes, writable: false), folder,
                flags, cancellationToken);
            LogFiled(message.Id, mailbox.Username, folder, written.Status.ToString());
            quotaBefore ??= written.QuotaBefore;
            filedBytes += written.Size;
            if (outcome is null || written.Status is not (DeliveryStatus.Delivered or DeliveryStatus.AlreadyDelivered))
            {
                outcome = written;
            }
        }

        if (outcome is { Status: DeliveryStatus.Delivered } && quotaBefore is not null)
        {
            outcome = outcome with { QuotaBefore = quotaBefore, Size = filedBytes };
        }

        if (outcome is null || outcome.Succeeded)
        {
            foreach (var track in result.Actions.OfType<Core.Sieve.SieveTrackDuplicate>())
            {
                SieveMemory.Add(root, SieveMemory.DuplicateFile, track.Id, track.Seconds, DateTimeOffset.UtcNow);
            }
        }

        var redirects = result.Actions.OfType<Core.Sieve.SieveRedirect>().Select(r => r.Address).ToList();
        if (redirects.Count > 0)
        {
            await ForwardAsync(await ForwardedAsync(message, cancellationToken), redirects, MessagePurpose.Deliver, "sieve", cancellationToken);
        }

        foreach (var reject in result.Actions.OfType<Core.Sieve.SieveReject>().Take(1))
        {
            // RFC 5429 §2.1.1: the message was accepted, no SMTP-time refusal is possible any more: an MDN tells the sender.
            var whole = parsed.Body is null ? await ParseAsync(bytes, cancellationToken) : parsed;
            if (SieveRejections.Build(options.HostName, message.MailFrom, deliveredTo, original, reject.Reason, whole, DateTimeOffset.UtcNow) is { } mdn)
            {
                await bounces.SendReportAsync($"{message.Id}.rej{TargetSet.Digest([mailbox.Username])}", mdn, [message.MailFrom], cancellationToken);
                LogRejected(message.Id, mailbox.Username, message.MailFrom);
            }
            else
            {
                LogRejected(message.Id, mailbox.Username, "(null sender: discarded)");
            }
        }

        foreach (var (notify, index) in result.Actions.OfType<Core.Sieve.SieveNotify>().Select((n, i) => (n, i)))
        {
            var (notification, why) = SieveNotifications.Build(notify, parsed, mailbox.Username, options.HostName, DateTimeOffset.UtcNow);
            if (notification is null)
            {
                LogNoNotification(message.Id, mailbox.Username, why ?? "-");
                continue;
            }

            var recipients = notify.Mailto.To.Concat(notify.Mailto.Cc).ToList();
            await bounces.SendReportAsync($"{message.Id}.ntf{TargetSet.Digest([mailbox.Username, index.ToString(System.Globalization.CultureInfo.InvariantCulture)])}",
                notification, recipients, cancellationToken);
            LogNotified(message.Id, mailbox.Username, string.Join(",", recipients));
        }

        foreach (var vacation in result.Actions.OfType<Core.Sieve.SieveVacation>())
        {
            await ReplyAsync(message, mailbox, root, vacation, parsed, original, cancellationToken);
        }

        return outcome ?? new DeliveryResult(DeliveryStatus.Delivered, Detail: "discarded by Sieve");
    }

    private static Task<MimeKit.MimeMessage> ParseAsync(byte[] bytes, CancellationToken cancellationToken) =>
        MimeKit.MimeMessage.LoadAsync(new MemoryStream(bytes, writable: false), cancellationToken);

    /// <summary>The message with its header fields and no body.</summary>
    private static async Task<MimeKit.MimeMessage> ParseHeaderAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        var parser = new MimeKit.MimeParser(new MemoryStream(bytes, writable: false), MimeKit.MimeFormat.Entity);
        var headers = await parser.ParseHeadersAsync(cancellationToken);
        return new MimeKit.MimeMessage(headers.Cast<object>().ToArray());
    }

    /// <summary>A Sieve vacation reply, queued outbound from the null sender and signed as the user's own mail.</summary>
    private async Task ReplyAsync(
        QueuedMessage message, Mailbox mailbox, string root, Core.Sieve.SieveVacation vacation, MimeKit.MimeMessage original, string recipient,
        CancellationToken cancellationToken)
    {
        var (reply, reason) = SieveVacationReplies.Build(vacation, original, message.MailFrom, mailbox.Username, recipient, root, DateTimeOffset.UtcNow);
        if (reply is null)
        {
            LogNoVacation(message.Id, mailbox.Username, reason ?? "-");
            return;
        }

        var id = $"{message.Id}.sv{TargetSet.Digest([mailbox.Username])}";
        using var bytes = new MemoryStream();
        await reply.WriteToAsync(MimeKit.FormatOptions.Default, bytes, cancellationToken);
        bytes.Position = 0;
        var size = await blobs.PutAsync(id, bytes, cancellationToken);
        await outbound.EnqueueAsync(new QueuedMessage
        {
            Id = id,
            ReceivedAt = message.ReceivedAt,
            MailFrom = string.Empty,
            Recipients = [message.MailFrom],
            BodyKey = id,
            Size = size,
            AuthenticatedUser = mailbox.Username,
        }, cancellationToken);
        LogVacation(message.Id, mailbox.Username, message.MailFrom);
    }

    /// <summary>
    /// The message as it is forwarded: from outside (no authenticated user) with a sender, its envelope sender
    /// rewritten by SRS; a user's own submission, a bounce (null sender) and mail with SRS off go as they are.
    /// Mail the MX checked is marked to be sealed with ARC by the domain it was sent to.
    /// </summary>
    private async Task<QueuedMessage> ForwardedAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        if (message.AuthenticatedUser is null && message.AuthenticationResults is not null && message.Recipients.Count > 0)
        {
            // Sealed by the domain it was sent to: ours, which checked it (RFC 8617 §5.1).
            message = message with { ArcSealDomain = message.Recipients[0][(message.Recipients[0].LastIndexOf('@') + 1)..] };
        }

        if (srs is null || message.AuthenticatedUser is not null || message.MailFrom.Length == 0 ||
            await srs.RewritingAsync(cancellationToken) is not { } rewriting)
        {
            return message;
        }

        return message with { MailFrom = rewriting.Forward(message.MailFrom) };
    }

    /// <summary>Queues a copy for the outbound side (forwarding aliases, vacation replies), once per message and set of targets.</summary>
    private async Task ForwardAsync(
        QueuedMessage message, IReadOnlyCollection<string> recipients, MessagePurpose purpose, string suffix, CancellationToken cancellationToken)
    {
        if (recipients.Count == 0)
        {
            return;
        }

        await QueuedCopies.EnqueueAsync(blobs, outbound, message, recipients, suffix, purpose, cancellationToken);
        LogQueuedOutbound(message.Id, purpose, recipients.Count);
    }

    [LoggerMessage(EventId = 5031, Level = LogLevel.Warning, Message = "{Id}: sieve error for {Mailbox}: {Error}; kept")]
    private partial void LogSieveError(string id, string mailbox, string error);

    [LoggerMessage(EventId = 5032, Level = LogLevel.Information, Message = "{Id}: sieve filed for {Mailbox} into {Folder} ({Status})")]
    private partial void LogFiled(string id, string mailbox, string folder, string status);

    [LoggerMessage(EventId = 5036, Level = LogLevel.Information, Message = "{Id}: sieve notification from {Mailbox} to {Recipients}")]
    private partial void LogNotified(string id, string mailbox, string recipients);

    [LoggerMessage(EventId = 5037, Level = LogLevel.Information, Message = "{Id}: no sieve notification from {Mailbox}: {Reason}")]
    private partial void LogNoNotification(string id, string mailbox, string reason);

    [LoggerMessage(EventId = 5035, Level = LogLevel.Information, Message = "{Id}: sieve rejected for {Mailbox}, refusal sent to <{Sender}>")]
    private partial void LogRejected(string id, string mailbox, string sender);

    [LoggerMessage(EventId = 5033, Level = LogLevel.Information, Message = "{Id}: sieve vacation reply from {Mailbox} to <{Sender}>")]
    private partial void LogVacation(string id, string mailbox, string sender);

    [LoggerMessage(EventId = 5034, Level = LogLevel.Information, Message = "{Id}: no sieve vacation reply from {Mailbox}: {Reason}")]
    private partial void LogNoVacation(string id, string mailbox, string reason);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> mailbox={Mailbox} status=sent ({File})")]
    private partial void LogDelivered(string id, string recipient, string mailbox, string file);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> status=bounced ({Reason})")]
    private partial void LogBounced(string id, string recipient, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "{Id}: {Count} recipient(s) queued outbound as {Purpose}")]
    private partial void LogQueuedOutbound(string id, MessagePurpose purpose, int count);

}
