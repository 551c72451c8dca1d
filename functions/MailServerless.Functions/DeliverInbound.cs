using MailServerless.Core.Accounts;
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
    Core.Addresses.SrsSecret? srs = null) : IQueueFunction
{
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
        foreach (var (mailbox, target) in plan.Mailboxes.Values)
        {
            var result = await DeliverToMailboxAsync(message, mailbox, target.Address, target.Originals, cancellationToken);
            switch (result.Status)
            {
                case DeliveryStatus.Delivered:
                    LogDelivered(message.Id, target.Address, mailbox.Username, result.FileName ?? string.Empty);
                    break;
                case DeliveryStatus.AlreadyDelivered:
                    break;
                case DeliveryStatus.OverQuota:
                    foreach (var original in target.Originals)
                    {
                        plan.Failures.Add(new FailedRecipient(target.Address, original, "5.2.2", $"552 5.2.2 {options.OverQuotaMessage}"));
                    }

                    LogBounced(message.Id, target.Address, result.Detail ?? "over quota");
                    break;
                default:
                    temporary.AddRange(target.Originals.Select(o => (o, $"{mailbox.Username}: {result.Detail}")));
                    break;
            }
        }

        try
        {
            await ForwardAsync(await ForwardedAsync(message, cancellationToken), plan.Remote, MessagePurpose.Deliver, "fwd", cancellationToken);
        }
        catch (DirectoryUnavailableException e)
        {
            // The mailboxes have their copies; the retry finds them there and only forwards.
            return FunctionResult.Retry($"directory unavailable: {e.Message}");
        }

        await ForwardAsync(message, plan.Vacation, MessagePurpose.Vacation, "vac", cancellationToken);
        await bounces.SendAsync(message, plan.Failures, cancellationToken);

        if (temporary.Count == 0)
        {
            return FunctionResult.Done;
        }

        // Only the recipients that failed for now are tried again: the others are settled (delivered,
        // forwarded or bounced), and a second try must not change what the sender was told.
        var remaining = message with { Recipients = temporary.Select(t => t.Original).Distinct(StringComparer.OrdinalIgnoreCase).ToList() };
        return FunctionResult.Retry(string.Join("; ", temporary.Select(t => t.Reason).Distinct()), remaining);
    }

    /// <summary>
    /// Writes the copy for one mailbox: Return-Path and Delivered-To (and X-Original-To for a subaddress), the edge's
    /// header edits, then the message as received; into the folder the edge chose (Junk) when it exists, else the inbox.
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

        await using var body = await blobs.OpenReadAsync(message.BodyKey, cancellationToken);
        await using var content = await HeaderEdits.ApplyAsync(body, prefix, message.AddedHeaders, message.RemovedHeaders, cancellationToken);
        var folder = message.Folder ?? MaildirLayout.Inbox;
        return await store.Delivery.DeliverAsync(
            mailbox.Maildir, new QuotaLimit(mailbox.QuotaBytes), message.Id, message.ReceivedAt, content, folder, cancellationToken);
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

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> mailbox={Mailbox} status=sent ({File})")]
    private partial void LogDelivered(string id, string recipient, string mailbox, string file);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> status=bounced ({Reason})")]
    private partial void LogBounced(string id, string recipient, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "{Id}: {Count} recipient(s) queued outbound as {Purpose}")]
    private partial void LogQueuedOutbound(string id, MessagePurpose purpose, int count);

}
