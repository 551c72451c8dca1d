using MailServerless.Core.Queue;

namespace MailServerless.Functions;

/// <summary>
/// A copy of a message for other targets (a forward, a vacation request, a hand-back to local delivery):
/// its body is copied (a hard link on disk) and it gets an id of its own from the targets, so a retry
/// that queues the same copy again is dropped by the queue, and one that found new targets is not.
/// </summary>
internal static class QueuedCopies
{
    public static async Task EnqueueAsync(
        IBlobStore blobs, IMessageQueue queue, QueuedMessage message, IReadOnlyCollection<string> recipients, string kind,
        MessagePurpose purpose, CancellationToken cancellationToken)
    {
        var suffix = kind + TargetSet.Digest(recipients);
        var key = $"{message.BodyKey}.{suffix}";
        await blobs.CopyAsync(message.BodyKey, key, cancellationToken);
        await queue.EnqueueAsync(message with
        {
            Id = $"{message.Id}.{suffix}",
            BodyKey = key,
            Recipients = recipients.ToList(),
            Purpose = purpose,
            Attempt = 0,
            NotBefore = null,
        }, cancellationToken);
    }
}
