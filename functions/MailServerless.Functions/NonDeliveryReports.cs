using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging;

namespace MailServerless.Functions;

/// <summary>
/// Sends RFC 3464 notices to the sender through the inbound queue (a local sender gets it in its Maildir, an outside
/// one through the outbound side): bounces, and the delay and success notices a sender asked for with DSN (RFC 3461
/// NOTIFY; a recipient with NOTIFY=NEVER gets none, one without NOTIFY gets bounces only). Never to the null sender,
/// so a notice is never answered by another; one notice per kind and set of recipients, so a retry sends no second one.
/// </summary>
public sealed partial class NonDeliveryReports(IBlobStore blobs, IMessageQueue inbound, DeliveryOptions options, ILogger<NonDeliveryReports> logger)
{
    /// <summary>Bounces the failed recipients whose sender wants to hear of failures.</summary>
    public Task SendAsync(QueuedMessage message, IReadOnlyList<ReportedRecipient> failures, CancellationToken cancellationToken) =>
        SendNoticeAsync(message, NoticeKind.Failed, failures, cancellationToken);

    /// <summary>A notice of <paramref name="kind"/> for those of <paramref name="recipients"/> whose sender asked for it.</summary>
    public async Task SendNoticeAsync(QueuedMessage message, NoticeKind kind, IReadOnlyList<ReportedRecipient> recipients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(recipients);
        var wanted = recipients.Where(r => Wants(message, r.QueuedAs, kind)).ToList();
        if (kind == NoticeKind.Failed && wanted.Count < recipients.Count)
        {
            LogNotWanted(message.Id, recipients.Count - wanted.Count);
        }

        if (wanted.Count == 0)
        {
            return;
        }

        if (string.IsNullOrEmpty(message.MailFrom))
        {
            LogNoBounce(message.Id, wanted.Count);
            return;
        }

        var suffix = kind switch { NoticeKind.Failed => "dsn", NoticeKind.Delayed => "delay", _ => "success" };
        var id = $"{message.Id}.{suffix}{TargetSet.Digest(wanted.Select(f => f.FinalRecipient + "|" + f.OriginalRecipient))}";
        MimeKit.MimeMessage notice;
        await using (var original = await blobs.OpenReadAsync(message.BodyKey, cancellationToken))
        {
            notice = DeliveryStatusNotification.Build(options.HostName, message, kind, wanted, original, options.BounceSizeLimit);
        }

        await QueueAsync(id, notice, [message.MailFrom], cancellationToken, requireTls: message.RequireTls);
        LogBounceQueued(message.Id, kind.ToString().ToLowerInvariant(), id, message.MailFrom, wanted.Count);
    }

    /// <summary>
    /// A success notice that cannot be queued is logged and given up: what it reports is done, and a retry for the
    /// notice's sake would deliver the message again.
    /// </summary>
    public async Task SendNoticeQuietlyAsync(QueuedMessage message, NoticeKind kind, IReadOnlyList<ReportedRecipient> recipients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await SendNoticeAsync(message, kind, recipients, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNoticeFailed(message.Id, kind.ToString().ToLowerInvariant(), e.Message);
        }
    }

    /// <summary>
    /// NOTIFY=DELAY (RFC 3461): once a recipient has waited <see cref="DeliveryOptions.DelayWarningAfter"/>, its sender
    /// is told, once; returns the message to retry, which remembers whom it told.
    /// </summary>
    public async Task<QueuedMessage> WarnOfDelayAsync(
        QueuedMessage message, IReadOnlyList<ReportedRecipient> waiting, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(waiting);
        if (now - message.ReceivedAt < options.DelayWarningAfter)
        {
            return message;
        }

        var told = message.DelayNotified ?? [];
        var due = waiting.Where(w => !told.Contains(w.QueuedAs, StringComparer.OrdinalIgnoreCase) && Wants(message, w.QueuedAs, NoticeKind.Delayed)).ToList();
        if (due.Count == 0)
        {
            return message;
        }

        try
        {
            await SendNoticeAsync(message, NoticeKind.Delayed, due, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The retry goes ahead all the same, and the next one tries the notice again.
            LogNoticeFailed(message.Id, "delay", e.Message);
            return message;
        }

        return message with { DelayNotified = [.. told, .. due.Select(d => d.QueuedAs)] };
    }

    /// <summary>Whether the sender asked (or by default wants) to hear this of the recipient.</summary>
    public static bool Wants(QueuedMessage message, string queuedAs, NoticeKind kind)
    {
        ArgumentNullException.ThrowIfNull(message);
        var dsn = message.Dsn?.For(queuedAs) ?? DsnRequest.Defaults;
        return dsn.Wants(kind switch
        {
            NoticeKind.Failed => DsnNotify.Failure,
            NoticeKind.Delayed => DsnNotify.Delay,
            _ => DsnNotify.Success,
        });
    }

    /// <summary>
    /// Sends another automatic message (a Sieve reject's MDN, a notification) the way bounces go: from the null
    /// sender, through the inbound queue (local recipients get it in their Maildir, others through the outbound side);
    /// once per <paramref name="id"/>, so a retry sends no second one.
    /// </summary>
    public async Task SendReportAsync(string id, MimeKit.MimeMessage report, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await QueueAsync(id, report, recipients, cancellationToken);
    }

    /// <param name="requireTls">RFC 8689 §5: a notice about a REQUIRETLS message goes the same guarded way.</param>
    private async Task QueueAsync(string id, MimeKit.MimeMessage report, IReadOnlyList<string> recipients, CancellationToken cancellationToken, bool requireTls = false)
    {
        using var bytes = new MemoryStream();
        await report.WriteToAsync(MimeKit.FormatOptions.Default, bytes, cancellationToken);
        bytes.Position = 0;
        var size = await blobs.PutAsync(id, bytes, cancellationToken);
        await inbound.EnqueueAsync(new QueuedMessage
        {
            Id = id,
            ReceivedAt = DateTimeOffset.UtcNow,
            MailFrom = string.Empty,
            Recipients = recipients,
            BodyKey = id,
            Size = size,
            RequireTls = requireTls,
        }, cancellationToken);
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "{Id}: sender {Kind} notification {Bounce} to <{Sender}> for {Count} recipient(s)")]
    private partial void LogBounceQueued(string id, string kind, string bounce, string sender, int count);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "{Id}: the {Kind} notification could not be queued: {Reason}")]
    private partial void LogNoticeFailed(string id, string kind, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "{Id}: {Count} recipient(s) failed; NOTIFY asks for no bounce")]
    private partial void LogNotWanted(string id, int count);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "{Id}: {Count} recipient(s) failed; null sender, no bounce")]
    private partial void LogNoBounce(string id, int count);
}
