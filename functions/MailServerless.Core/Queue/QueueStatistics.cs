namespace MailServerless.Core.Queue;

/// <summary>A queue's size now, for metrics and the queue tools.</summary>
/// <param name="Waiting">Messages queued and not being handled (due now, deferred, or delayed).</param>
/// <param name="InFlight">Messages a worker holds right now.</param>
/// <param name="Held">Messages an operator set aside.</param>
/// <param name="Dead">Messages in the dead-letter store.</param>
/// <param name="OldestReceivedAt">When the oldest queued message was accepted; null when the queue is empty or cannot say (SQS).</param>
public sealed record QueueStatistics(string Queue, long Waiting, long InFlight, long Held, long Dead, DateTimeOffset? OldestReceivedAt);

/// <summary>A queue that can say how full it is.</summary>
public interface IQueueStatistics
{
    string Name { get; }

    Task<QueueStatistics> StatisticsAsync(CancellationToken cancellationToken = default);
}
