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
    QueueProcessorOptions queue,
    TimeProvider clock,
    ILogger<RelayOutbound> logger) : IQueueFunction
{
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

        await dkim.SignAsync(mime, cancellationToken);
        var outcomes = await transport.SendAsync(message.MailFrom, remote, mime, cancellationToken);

        var expired = clock.GetUtcNow() - message.ReceivedAt >= queue.MaxLifetime;
        var failures = new List<FailedRecipient>();
        var retry = new List<RecipientOutcome>();
        foreach (var outcome in outcomes)
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.Delivered:
                    LogSent(message.Id, outcome.Recipient, outcome.RemoteMta ?? "-", outcome.Diagnostic);
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
                    failures.Add(new FailedRecipient(outcome.Recipient, outcome.Recipient, outcome.Status, diagnostic, outcome.RemoteMta));
                    break;
            }
        }

        await bounces.SendAsync(message, failures, cancellationToken);
        if (retry.Count == 0)
        {
            return FunctionResult.Done;
        }

        var remaining = message with { Recipients = retry.Select(r => r.Recipient).ToList() };
        return FunctionResult.Retry(string.Join("; ", retry.Select(r => r.Diagnostic).Distinct()), remaining);
    }

    /// <summary>A copy for the inbound queue (once per message: the queue drops a second enqueue of one id).</summary>
    private async Task HandToLocalDeliveryAsync(QueuedMessage message, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        var key = $"{message.BodyKey}.local";
        await blobs.CopyAsync(message.BodyKey, key, cancellationToken);
        await inbound.EnqueueAsync(message with
        {
            Id = $"{message.Id}.local",
            BodyKey = key,
            Recipients = recipients.ToList(),
            Attempt = 0,
            NotBefore = null,
        }, cancellationToken);
        LogLocal(message.Id, recipients.Count);
    }

    [LoggerMessage(EventId = 5110, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> relay={Relay} status=sent ({Reply})")]
    private partial void LogSent(string id, string recipient, string relay, string reply);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> relay={Relay} status=deferred ({Reason})")]
    private partial void LogDeferred(string id, string recipient, string relay, string reason);

    [LoggerMessage(EventId = 5112, Level = LogLevel.Information, Message = "{Id}: to=<{Recipient}> relay={Relay} status=bounced ({Reason})")]
    private partial void LogBounced(string id, string recipient, string relay, string reason);

    [LoggerMessage(EventId = 5113, Level = LogLevel.Information, Message = "{Id}: {Count} recipient(s) in a local domain handed to local delivery")]
    private partial void LogLocal(string id, int count);
}
