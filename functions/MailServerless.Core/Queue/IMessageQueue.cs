namespace MailServerless.Core.Queue;

/// <summary>A received message held by one worker until it is completed, released or dead-lettered.</summary>
/// <param name="Message">The envelope.</param>
/// <param name="ReceiptHandle">The queue's handle for this receipt (SQS receipt handle; spool: the id).</param>
/// <param name="ReceiveCount">How many times the queue has handed this message out, this one included.</param>
public sealed record QueueLease(QueuedMessage Message, string ReceiptHandle, int ReceiveCount);

/// <summary>
/// A durable queue with SQS's semantics: at-least-once, a received message is invisible to
/// others while leased, and gone only when completed. Implemented by the on-disk spool here and
/// by SQS in the cloud.
/// </summary>
public interface IMessageQueue
{
    /// <summary>The queue's name, for logs ("inbound", "outbound").</summary>
    string Name { get; }

    /// <summary>
    /// Stores the envelope durably before returning. Enqueueing an id the queue has seen
    /// (queued, dead-lettered or recently completed) again does nothing, so a retried step
    /// never queues a second copy.
    /// </summary>
    Task EnqueueAsync(QueuedMessage message, CancellationToken cancellationToken = default);

    /// <summary>Waits up to <paramref name="wait"/> for due messages and leases up to <paramref name="max"/> of them.</summary>
    Task<IReadOnlyList<QueueLease>> ReceiveAsync(int max, TimeSpan wait, CancellationToken cancellationToken = default);

    /// <summary>Done: the message is removed.</summary>
    Task CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Try again later: the message (with its attempt count and due time updated, and narrowed to
    /// <paramref name="remaining"/> when given: the recipients still to do) is due after <paramref name="delay"/>.
    /// </summary>
    Task RetryAsync(QueueLease lease, TimeSpan delay, QueuedMessage? remaining = null, CancellationToken cancellationToken = default);

    /// <summary>Gives a lease back unchanged (its handler could not finish); it is due again at once.</summary>
    Task ReleaseAsync(QueueLease lease, CancellationToken cancellationToken = default);

    /// <summary>Give up: the message moves to the dead-letter store with the reason.</summary>
    Task DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default);
}

/// <summary>Message bodies by key (the claim check): the spool's bodies folder, or S3.</summary>
public interface IBlobStore
{
    /// <summary>Stores the body durably before returning; returns its size in bytes.</summary>
    Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a body whose envelope is enqueued right after. A store whose writes the queue's own commit
    /// also makes durable (the spool: one file system, one group commit) may leave the flush to that
    /// enqueue; any other store stores durably, as <see cref="PutAsync"/>. Nothing may be acknowledged
    /// before the enqueue has returned.
    /// </summary>
    Task<long> PutBeforeEnqueueAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens a body; <see cref="BlobNotFoundException"/> when there is none.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Makes <paramref name="targetKey"/> a copy of <paramref name="sourceKey"/> (a hard link on disk).</summary>
    Task CopyAsync(string sourceKey, string targetKey, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

public sealed class BlobNotFoundException : Exception
{
    public BlobNotFoundException(string message)
        : base(message)
    {
    }

    public BlobNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BlobNotFoundException()
    {
    }
}
