using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging;

namespace MailServerless.Functions;

/// <summary>
/// Sends RFC 3464 bounces to the sender through the inbound queue (a local sender gets it in its
/// Maildir, an outside one through the outbound side). Never to the null sender, so a bounce is never
/// bounced; one bounce per set of failures, so a retry that fails the same recipients sends no second one.
/// </summary>
public sealed partial class NonDeliveryReports(IBlobStore blobs, IMessageQueue inbound, DeliveryOptions options, ILogger<NonDeliveryReports> logger)
{
    public async Task SendAsync(QueuedMessage message, IReadOnlyList<FailedRecipient> failures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(failures);
        if (failures.Count == 0)
        {
            return;
        }

        if (string.IsNullOrEmpty(message.MailFrom))
        {
            LogNoBounce(message.Id, failures.Count);
            return;
        }

        var id = $"{message.Id}.dsn{TargetSet.Digest(failures.Select(f => f.FinalRecipient + "|" + f.OriginalRecipient))}";
        MimeKit.MimeMessage dsn;
        await using (var original = await blobs.OpenReadAsync(message.BodyKey, cancellationToken))
        {
            dsn = DeliveryStatusNotification.Build(options.HostName, message.MailFrom, message.Id, message.ReceivedAt, failures, original);
        }

        await QueueAsync(id, dsn, [message.MailFrom], cancellationToken);
        LogBounceQueued(message.Id, id, message.MailFrom, failures.Count);
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

    private async Task QueueAsync(string id, MimeKit.MimeMessage report, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
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
        }, cancellationToken);
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "{Id}: sender non-delivery notification {Bounce} to <{Sender}> for {Count} recipient(s)")]
    private partial void LogBounceQueued(string id, string bounce, string sender, int count);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "{Id}: {Count} recipient(s) failed; null sender, no bounce")]
    private partial void LogNoBounce(string id, int count);
}
