using System.Collections.Concurrent;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging;

namespace MailServerless.Aws;

/// <summary>
/// <see cref="IMessageQueue"/> on SQS: the envelope is the message body (the body itself is in S3).
/// Long polling; completed messages deleted in batches (<see cref="SqsDeleteBatcher"/>); a lease's visibility is extended while it is held (a long delivery is not handed to a
/// second worker); a retry is a new message delayed by up to 15 minutes, re-hidden on receipt until
/// its due time when the delay is longer; a dead letter goes to the queue's redrive target with the
/// reason in an attribute. An id already taken is not queued again (<see cref="S3SeenIds"/>).
/// </summary>
public sealed partial class SqsQueue : IMessageQueue, IDisposable
{
    private const string ReasonAttribute = "DeadLetterReason";
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromHours(12);

    private readonly IAmazonSQS _sqs;
    private readonly string _url;
    private readonly S3SeenIds _seen;
    private readonly TimeSpan _visibility;
    private readonly TimeProvider _clock;
    private readonly ILogger<SqsQueue> _logger;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _heartbeats = new();
    private readonly SqsDeleteBatcher _deletes;
    private readonly S3HeldMessages? _held;
    private string? _deadLetterUrl;

    /// <param name="visibility">How long a received message stays hidden; renewed while its lease is held.</param>
    /// <param name="held">Where an operator's held messages wait (the queue tools); null: holding is refused.</param>
    public SqsQueue(
        IAmazonSQS sqs, string name, string url, S3SeenIds seen, TimeSpan visibility, TimeProvider clock, ILogger<SqsQueue> logger,
        S3HeldMessages? held = null)
    {
        // SQS takes 0 s to 12 h; under a few seconds every worker would get every message.
        ArgumentOutOfRangeException.ThrowIfLessThan(visibility, TimeSpan.FromSeconds(5));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(visibility, MaxVisibility);
        _sqs = sqs;
        Name = name;
        _url = url;
        _seen = seen;
        _visibility = visibility;
        _clock = clock;
        _logger = logger;
        _deletes = new SqsDeleteBatcher(sqs, url);
        _held = held;
    }

    public string Name { get; }

    public async Task EnqueueAsync(QueuedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (await _seen.ContainsAsync(message.Id, cancellationToken))
        {
            return;
        }

        await SendAsync(message, cancellationToken);
        await _seen.AddAsync(message.Id, cancellationToken);
    }

    private Task SendAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        var delay = message.NotBefore is { } due ? due - _clock.GetUtcNow() : TimeSpan.Zero;
        return _sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = _url,
            MessageBody = message.ToJson(),
            DelaySeconds = (int)Math.Clamp(Math.Ceiling(delay.TotalSeconds), 0, MaxDelay.TotalSeconds),
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<QueueLease>> ReceiveAsync(int max, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _url,
            MaxNumberOfMessages = Math.Clamp(max, 1, 10),
            WaitTimeSeconds = (int)Math.Clamp(wait.TotalSeconds, 0, 20),
            VisibilityTimeout = (int)_visibility.TotalSeconds,
            MessageSystemAttributeNames = ["ApproximateReceiveCount"],
        }, cancellationToken);

        var leases = new List<QueueLease>();
        foreach (var received in response.Messages ?? [])
        {
            QueuedMessage message;
            try
            {
                message = QueuedMessage.FromJson(received.Body);
            }
            catch (MalformedEnvelopeException e)
            {
                LogMalformed(Name, received.MessageId, e.Message);
                await MoveToDeadLetterAsync(received.Body, received.ReceiptHandle, e.Message, CancellationToken.None);
                continue;
            }

            if (message.NotBefore is { } due && due > _clock.GetUtcNow())
            {
                // Longer than SQS's 15-minute delay: hide it again until it is due.
                await HideAsync(received.ReceiptHandle, due - _clock.GetUtcNow(), CancellationToken.None);
                continue;
            }

            var count = received.Attributes?.TryGetValue("ApproximateReceiveCount", out var text) == true &&
                        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;
            var lease = new QueueLease(message, received.ReceiptHandle, count);
            StartHeartbeat(lease);
            leases.Add(lease);
        }

        return leases;
    }

    public async Task CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StopHeartbeat(lease);
        await _deletes.DeleteAsync(lease.ReceiptHandle, cancellationToken);
    }

    public async Task RetryAsync(QueueLease lease, TimeSpan delay, QueuedMessage? remaining = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StopHeartbeat(lease);
        var next = (remaining ?? lease.Message) with { Attempt = lease.Message.Attempt + 1, NotBefore = _clock.GetUtcNow() + delay };
        // The new message first: a crash between the two leaves a duplicate (the functions are idempotent), never a loss.
        await SendAsync(next, cancellationToken);
        await _sqs.DeleteMessageAsync(_url, lease.ReceiptHandle, cancellationToken);
    }

    public async Task ReleaseAsync(QueueLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StopHeartbeat(lease);
        await _sqs.ChangeMessageVisibilityAsync(_url, lease.ReceiptHandle, 0, cancellationToken);
    }

    public async Task DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StopHeartbeat(lease);
        await MoveToDeadLetterAsync((lease.Message with { DeadLetterReason = reason }).ToJson(), lease.ReceiptHandle, reason, cancellationToken);
    }

    /// <summary>
    /// SQS's approximate counts (visible and delayed messages are waiting; not visible ones are held by a worker, or
    /// re-hidden until a retry is due). SQS does not say how old its oldest message is (CloudWatch's
    /// <c>ApproximateAgeOfOldestMessage</c> does).
    /// </summary>
    public async Task<QueueStatistics> StatisticsAsync(CancellationToken cancellationToken = default)
    {
        var counts = await CountsAsync(_url, cancellationToken);
        var dead = await CountsAsync(await DeadLetterUrlAsync(cancellationToken), cancellationToken);
        var held = _held is null ? 0 : await _held.CountAsync(cancellationToken);
        return new QueueStatistics(Name, counts.Visible + counts.Delayed, counts.NotVisible, held, dead.Visible + dead.Delayed + dead.NotVisible, null);
    }

    private async Task<(long Visible, long NotVisible, long Delayed)> CountsAsync(string url, CancellationToken cancellationToken)
    {
        var response = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url,
            AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        }, cancellationToken);
        long Count(string name) =>
            response.Attributes?.GetValueOrDefault(name) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return (Count("ApproximateNumberOfMessages"), Count("ApproximateNumberOfMessagesNotVisible"), Count("ApproximateNumberOfMessagesDelayed"));
    }

    /// <summary>Sets a message that is no envelope aside, as it came, with the reason (a Lambda batch's poison message).</summary>
    public Task DeadLetterRawAsync(string body, string receiptHandle, string reason, CancellationToken cancellationToken = default) =>
        MoveToDeadLetterAsync(body, receiptHandle, reason, cancellationToken);

    /// <summary>Keeps a received message hidden for <paramref name="delay"/> (at most 12 hours): one not due yet.</summary>
    public Task HideAsync(string receiptHandle, TimeSpan delay, CancellationToken cancellationToken = default) =>
        _sqs.ChangeMessageVisibilityAsync(_url, receiptHandle, (int)Math.Ceiling(Math.Clamp(delay.TotalSeconds, 0, MaxVisibility.TotalSeconds)), cancellationToken);

    private async Task MoveToDeadLetterAsync(string body, string receiptHandle, string reason, CancellationToken cancellationToken)
    {
        await _sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = await DeadLetterUrlAsync(cancellationToken),
            MessageBody = body,
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                [ReasonAttribute] = new() { DataType = "String", StringValue = reason.Length > 1000 ? reason[..1000] : reason },
            },
        }, cancellationToken);
        await _sqs.DeleteMessageAsync(_url, receiptHandle, cancellationToken);
    }

    /// <summary>The redrive policy's target: the dead-letter queue SQS itself moves poison messages to.</summary>
    private async Task<string> DeadLetterUrlAsync(CancellationToken cancellationToken)
    {
        if (_deadLetterUrl is not null)
        {
            return _deadLetterUrl;
        }

        var attributes = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = _url, AttributeNames = ["RedrivePolicy"] }, cancellationToken);
        var policy = attributes.Attributes?.GetValueOrDefault("RedrivePolicy")
                     ?? throw new InvalidOperationException($"queue {_url} has no redrive policy: dead letters have nowhere to go");
        using var json = System.Text.Json.JsonDocument.Parse(policy);
        var arn = json.RootElement.GetProperty("deadLetterTargetArn").GetString()!;
        var name = arn[(arn.LastIndexOf(':') + 1)..];
        _deadLetterUrl = (await _sqs.GetQueueUrlAsync(name, cancellationToken)).QueueUrl;
        return _deadLetterUrl;
    }

    /// <summary>Keeps a held message hidden: renewed at half the visibility timeout until the lease is settled.</summary>
    private void StartHeartbeat(QueueLease lease)
    {
        var stop = new CancellationTokenSource();
        var stopping = stop.Token;
        _heartbeats[lease.ReceiptHandle] = stop;
        _ = Task.Run(async () =>
        {
            var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, _visibility.Ticks / 2));
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(period, _clock, stopping);
                    await _sqs.ChangeMessageVisibilityAsync(_url, lease.ReceiptHandle, (int)_visibility.TotalSeconds, stopping);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // A failed renewal (network, throttling, a timeout) is tried again at the next beat: giving
                    // up would let a second worker take a message this one is still delivering.
                    LogHeartbeatFailed(Name, lease.Message.Id, e.Message);
                }
            }
        });
    }

    private void StopHeartbeat(QueueLease lease)
    {
        if (_heartbeats.TryRemove(lease.ReceiptHandle, out var stop))
        {
            stop.Cancel();
        }
    }

    public void Dispose()
    {
        _deletes.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var stop in _heartbeats.Values)
        {
            stop.Cancel();
            stop.Dispose();
        }

        _heartbeats.Clear();
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Queue {Queue}: message {MessageId} is not an envelope ({Reason}); dead-lettered")]
    private partial void LogMalformed(string queue, string messageId, string reason);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Queue {Queue}: could not keep {Id} hidden: {Reason}")]
    private partial void LogHeartbeatFailed(string queue, string id, string reason);
}
