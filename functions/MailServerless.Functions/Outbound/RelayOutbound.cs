using MailServerless.Core.Accounts;
using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// Sends one queued outbound message (an authenticated submission to outside addresses, a forwarding
/// alias's copy with the original envelope sender, a bounce or auto-reply to an outside sender) through
/// the configured transport, DKIM-signed when its author is local. Per recipient: delivered is done; a
/// temporary failure is retried with backoff until the maximum lifetime, then bounced; a permanent one is
/// bounced (RFC 3464) at once. A recipient whose domain has become local is handed to local delivery.
/// Vacation targets go to <see cref="VacationResponder"/>.
/// </summary>
public sealed partial class RelayOutbound(
    IRelayTransport transport,
    DkimSigning dkim,
    VacationResponder vacation,
    NonDeliveryReports bounces,
    IAccountDirectory directory,
    IBlobStore blobs,
    IMessageQueue inbound,
    QueueOptions queue,
    TimeProvider clock,
    ILogger<RelayOutbound> logger,
    ArcSealing? arc = null) : IQueueFunction
{
    /// <summary>Postfix's <c>hopcount_limit</c>.</summary>
    private const int MaxHops = 50;

    public async Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            return message.Purpose == MessagePurpose.Vacation
                ? await vacation.HandleAsync(message, cancellationToken)
                : await RelayAsync(message, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return FunctionResult.DeadLetter($"body '{message.BodyKey}' is missing");
        }
        catch (DirectoryUnavailableException e)
        {
            return FunctionResult.Retry($"directory unavailable: {e.Message}");
        }
    }

    private async Task<FunctionResult> RelayAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        var recipients = message.Recipients.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var local = new List<string>();
        foreach (var recipient in recipients)
        {
            var at = recipient.LastIndexOf('@');
            if (at > 0 && await directory.GetDomainKindAsync(recipient[(at + 1)..], cancellationToken) == DomainKind.Local)
            {
                local.Add(recipient);
            }
        }

        if (local.Count > 0)
        {
            await HandToLocalDeliveryAsync(message, local, cancellationToken);
        }

        var remote = recipients.Except(local, StringComparer.OrdinalIgnoreCase).ToList();
        if (remote.Count == 0)
        {
            return FunctionResult.Done;
        }

        MimeMessage mime;
        await using (var body = await blobs.OpenReadAsync(message.BodyKey, cancellationToken))
        {
            mime = await MimeMessage.LoadAsync(body, cancellationToken);
        }

        // RFC 5321 §6.3: a message that has passed through too many hosts is in a loop; it goes no further.
        var hops = mime.Headers.Count(h => h.Id == HeaderId.Received);
        var outcomes = hops > MaxHops
            ? remote.Select(r => RecipientOutcome.Permanent(r, "5.4.6", $"too many hops ({hops} Received: headers): mail forwarding loop")).ToList()
            : await SignAndSendAsync(message, mime, remote, cancellationToken);

        var expired = clock.GetUtcNow() - message.ReceivedAt >= queue.MaxLifetime;
        var failures = new List<ReportedRecipient>();
        var relayed = new List<ReportedRecipient>();
        var retry = new List<RecipientOutcome>();
        foreach (var outcome in outcomes)
        {
            Core.Diagnostics.MailMetrics.RelayOutcome(outcome.Status);
            switch (outcome.Kind)
            {
                case OutcomeKind.Delivered:
                    LogSent(message.Id, outcome.Recipient, outcome.RemoteMta ?? "-", outcome.Diagnostic);
                    if (!outcome.DsnPassedOn)
                    {
                        // RFC 3461 §6.2.2: the next hop cannot carry NOTIFY=SUCCESS further; we say it was relayed.
                        relayed.Add(new ReportedRecipient(outcome.Recipient, string.Empty, outcome.Status, outcome.Diagnostic.ReplaceLineEndings(" "), outcome.RemoteMta));
                    }

                    break;
                case OutcomeKind.Temporary when !expired:
                    LogDeferred(message.Id, outcome.Recipient, outcome.RemoteMta ?? "-", outcome.Diagnostic);
                    retry.Add(outcome);
                    break;
                default:
                    // Refused for good, or still failing when the message's lifetime is over (Postfix's
                    // maximal_queue_lifetime): the sender hears of it.
                    var diagnostic = outcome.Kind == OutcomeKind.Temporary
                        ? $"{outcome.Diagnostic} (delivery time expired after {queue.MaxLifetime})"
                        : outcome.Diagnostic;
                    LogBounced(message.Id, outcome.Recipient, outcome.RemoteMta ?? "-", diagnostic);
                    failures.Add(new ReportedRecipient(outcome.Recipient, string.Empty, outcome.Status, diagnostic.ReplaceLineEndings(" "), outcome.RemoteMta));
                    break;
            }
        }

        try
        {
            await bounces.SendAsync(message, failures, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The bounce could not be queued: those recipients are tried once more later (and bounced then),
            // while the delivered ones are not sent again.
            LogBounceFailed(message.Id, e.Message);
            retry.AddRange(failures.Select(f => RecipientOutcome.Temporary(f.FinalRecipient, f.Status, f.Diagnostic)));
        }

        // Never a reason to retry: the recipients it reports have the message.
        await bounces.SendNoticeQuietlyAsync(message, NoticeKind.Relayed, relayed, cancellationToken);
        if (retry.Count == 0)
        {
            return FunctionResult.Done;
        }

        var remaining = await bounces.WarnOfDelayAsync(
            message with { Recipients = retry.Select(r => r.Recipient).ToList() },
            retry.Select(r => new ReportedRecipient(r.Recipient, string.Empty, r.Status, r.Diagnostic.ReplaceLineEndings(" "), r.RemoteMta)).ToList(),
            clock.GetUtcNow(), cancellationToken);
        return FunctionResult.Retry(string.Join("; ", retry.Select(r => r.Diagnostic).Distinct()), remaining);
    }

    /// <summary>Signs (when written here) and sends; a failure of the signing or the transport leaves every recipient waiting.</summary>
    private async Task<IReadOnlyList<RecipientOutcome>> SignAndSendAsync(
        QueuedMessage message, MimeMessage mime, IReadOnlyList<string> remote, CancellationToken cancellationToken)
    {
        try
        {
            await dkim.SignAsync(mime, message.AuthenticatedUser, cancellationToken);
            if (message.AuthenticatedUser is null && arc is not null)
            {
                await SealAsync(message, mime, cancellationToken);
            }

            return await transport.SendAsync(message.MailFrom, remote, mime, SendRequests.Of(message), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not DirectoryUnavailableException)
        {
            return remote.Select(r => RecipientOutcome.Temporary(r, "4.3.0", $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" "))).ToList();
        }
    }

    /// <summary>Seals a forward with ARC; a seal that cannot be made (no key for the domain, say) lets the forward go unsealed.</summary>
    private async Task SealAsync(QueuedMessage message, MimeMessage mime, CancellationToken cancellationToken)
    {
        try
        {
            await arc!.SealAsync(mime, message.ArcSealDomain, message.AuthenticationResults, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not DirectoryUnavailableException)
        {
            LogNotSealed(message.Id, message.ArcSealDomain ?? "-", e.Message);
        }
    }

    /// <summary>A copy for the inbound queue, once per message and set of recipients.</summary>
    private async Task HandToLocalDeliveryAsync(QueuedMessage message, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        await QueuedCopies.EnqueueAsync(blobs, inbound, message, recipients, "local", MessagePurpose.Deliver, cancellationToken);
        LogLocal(message.Id, recipients.Count);
    }

    [LoggerMessage(EventId = 5116, Level = LogLevel.Warning, Message = "{Id}: forward not sealed with ARC for {Domain}: {Reason}")]
    private partial void LogNotSealed(string id, string domain, string reason);

    [LoggerMessage(EventId = 5110, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> relay={Relay} status=sent ({Reply})")]
    private partial void LogSent(string id, string recipient, string relay, string reply);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> relay={Relay} status=deferred ({Reason})")]
    private partial void LogDeferred(string id, string recipient, string relay, string reason);

    [LoggerMessage(EventId = 5112, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> relay={Relay} status=bounced ({Reason})")]
    private partial void LogBounced(string id, string recipient, string relay, string reason);

    [LoggerMessage(EventId = 5114, Level = LogLevel.Warning, Message = "{Id}: the non-delivery notification could not be queued: {Reason}")]
    private partial void LogBounceFailed(string id, string reason);

    [LoggerMessage(EventId = 5113, Level = LogLevel.Information, Message = "{Id}: {Count} recipient(s) in a local domain handed to local delivery")]
    private partial void LogLocal(string id, int count);
}
