using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using MailServerless.Core.Queue;

namespace MailServerless.Aws;

/// <summary>
/// The queue tools on SQS. SQS has no way to look at a message without receiving it, so a listing (and finding one
/// message) receives what is visible, hidden for a short while, and makes it visible again at once, as the AWS
/// console's "poll for messages" does: each look counts as a receive toward the redrive policy's
/// <c>maxReceiveCount</c>. Messages delayed (a retry's first 15 minutes) or held by a worker are not visible to
/// anyone: they are counted, not listed. Holding moves the envelope to S3 (<see cref="S3HeldMessages"/>); dead letters
/// are the redrive target's messages, and a requeue sends them back to this queue (SQS's redrive, one by one).
/// </summary>
public sealed partial class SqsQueue : IQueueAdministration
{
    /// <summary>At most this many messages are looked at by one listing.</summary>
    private const int ScanLimit = 1000;

    /// <summary>How long a looked-at message stays hidden before it is made visible again (or until the action is done).</summary>
    private const int ScanVisibilitySeconds = 30;

    public async Task<IReadOnlyList<QueueEntry>> ListAsync(bool dead, CancellationToken cancellationToken = default)
    {
        var entries = new List<QueueEntry>();
        var url = dead ? await DeadLetterUrlAsync(cancellationToken) : _url;
        await ScanAsync(url, (_, message) =>
        {
            entries.Add(Describe(message, dead));
            return false;
        }, cancellationToken);
        if (!dead && _held is not null)
        {
            entries.AddRange((await _held.ListAsync(cancellationToken)).Select(m => new QueueEntry(Name, m, QueueEntryState.Held, null)));
        }

        return entries.OrderBy(e => e.Message.ReceivedAt).ThenBy(e => e.Message.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<QueueEntry?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        if (_held is not null && await _held.GetAsync(id, cancellationToken) is { } held)
        {
            return new QueueEntry(Name, held, QueueEntryState.Held, null);
        }

        foreach (var dead in new[] { false, true })
        {
            QueueEntry? found = null;
            await ScanAsync(dead ? await DeadLetterUrlAsync(cancellationToken) : _url, (_, message) =>
            {
                found = message.Id == id ? Describe(message, dead) : null;
                return found is not null;
            }, cancellationToken);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    public async Task<QueueActionResult> RetryNowAsync(string id, CancellationToken cancellationToken = default)
    {
        var found = false;
        await ScanAsync(_url, async (received, message) =>
        {
            if (message.Id != id)
            {
                return ScanStep.Next;
            }

            found = true;
            if (message.NotBefore is { } due && due > _clock.GetUtcNow())
            {
                // Visible but not due (about to be hidden again by a worker): a copy due now takes its place.
                await SendAsync(message with { NotBefore = null }, cancellationToken);
                await _sqs.DeleteMessageAsync(_url, received.ReceiptHandle, cancellationToken);
                return ScanStep.StopConsumed;
            }

            // Otherwise it is due already: made visible again below, the next worker takes it.
            return ScanStep.Stop;
        }, cancellationToken);
        return found ? QueueActionResult.Done : QueueActionResult.NotFound;
    }

    public async Task<QueueActionResult> HoldAsync(string id, CancellationToken cancellationToken = default)
    {
        if (_held is null)
        {
            throw new InvalidOperationException($"queue {Name} has no bucket to hold messages in");
        }

        var found = false;
        await ScanAsync(_url, async (received, message) =>
        {
            if (message.Id != id)
            {
                return ScanStep.Next;
            }

            // In S3 first: a failure between the two leaves it both held and queued, never lost.
            await _held.PutAsync(message, cancellationToken);
            await _sqs.DeleteMessageAsync(_url, received.ReceiptHandle, cancellationToken);
            found = true;
            return ScanStep.StopConsumed;
        }, cancellationToken);
        return found ? QueueActionResult.Done : QueueActionResult.NotFound;
    }

    public async Task<QueueActionResult> UnholdAsync(string id, CancellationToken cancellationToken = default)
    {
        if (_held is null || await _held.GetAsync(id, cancellationToken) is not { } held)
        {
            return QueueActionResult.NotFound;
        }

        await SendAsync(held with { NotBefore = null }, cancellationToken);
        await _held.DeleteAsync(id, cancellationToken);
        return QueueActionResult.Done;
    }

    public async Task<QueueActionResult> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        if (_held is not null && await _held.GetAsync(id, cancellationToken) is not null)
        {
            await _held.DeleteAsync(id, cancellationToken);
            return QueueActionResult.Done;
        }

        foreach (var url in new[] { _url, await DeadLetterUrlAsync(cancellationToken) })
        {
            var found = false;
            await ScanAsync(url, async (received, message) =>
            {
                if (message.Id != id)
                {
                    return ScanStep.Next;
                }

                await _sqs.DeleteMessageAsync(url, received.ReceiptHandle, cancellationToken);
                found = true;
                return ScanStep.StopConsumed;
            }, cancellationToken);
            if (found)
            {
                return QueueActionResult.Done;
            }
        }

        return QueueActionResult.NotFound;
    }

    public async Task<int> RequeueDeadAsync(string? id, CancellationToken cancellationToken = default)
    {
        var deadUrl = await DeadLetterUrlAsync(cancellationToken);
        var moved = 0;
        await ScanAsync(deadUrl, async (received, message) =>
        {
            if (id is not null && message.Id != id)
            {
                return ScanStep.Next;
            }

            // Back first, then out of the dead-letter queue: a failure between the two leaves a duplicate, never a loss.
            await SendAsync(message with { DeadLetterReason = null, NotBefore = null }, cancellationToken);
            await _sqs.DeleteMessageAsync(deadUrl, received.ReceiptHandle, cancellationToken);
            moved++;
            return id is not null ? ScanStep.StopConsumed : ScanStep.NextConsumed;
        }, cancellationToken);
        return moved;
    }

    private QueueEntry Describe(QueuedMessage message, bool dead) => new(
        Name, message,
        dead ? QueueEntryState.Dead : message.NotBefore is { } due && due > _clock.GetUtcNow() ? QueueEntryState.Deferred : QueueEntryState.Waiting,
        dead ? null : message.NotBefore);

    private Task ScanAsync(string url, Func<Message, QueuedMessage, bool> visit, CancellationToken cancellationToken) =>
        ScanAsync(url, (received, message) => Task.FromResult(visit(received, message) ? ScanStep.Stop : ScanStep.Next), cancellationToken);

    /// <summary>
    /// Receives what is visible in <paramref name="url"/> (up to <see cref="ScanLimit"/>), hands each envelope to
    /// <paramref name="visit"/> until it says it is done, then makes every message it did not act on visible again.
    /// A message that is no envelope is skipped (the workers dead-letter it).
    /// </summary>
    private async Task ScanAsync(string url, Func<Message, QueuedMessage, Task<ScanStep>> visit, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var looked = new List<Message>();
        try
        {
            while (seen.Count < ScanLimit)
            {
                var response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    // Long polling, however short: a short poll samples some of SQS's servers only, and may miss messages.
                    QueueUrl = url, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = ScanVisibilitySeconds,
                }, cancellationToken);
                var fresh = (response.Messages ?? []).Where(m => seen.Add(m.MessageId)).ToList();
                if (fresh.Count == 0)
                {
                    return;
                }

                // All of them now: a scan that stops at the first must still make the others visible again.
                looked.AddRange(fresh);
                foreach (var received in fresh)
                {
                    QueuedMessage message;
                    try
                    {
                        message = QueuedMessage.FromJson(received.Body);
                    }
                    catch (MalformedEnvelopeException)
                    {
                        continue;
                    }

                    var step = await visit(received, message);
                    if (step == ScanStep.Next)
                    {
                        continue;
                    }

                    if (step is ScanStep.StopConsumed or ScanStep.NextConsumed)
                    {
                        // Deleted or moved: nothing to make visible again.
                        looked.Remove(received);
                    }

                    if (step != ScanStep.NextConsumed)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            foreach (var batch in looked.Chunk(10))
            {
                var restored = await _sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
                {
                    QueueUrl = url,
                    Entries = batch.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry
                    {
                        Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ReceiptHandle = m.ReceiptHandle, VisibilityTimeout = 0,
                    }).ToList(),
                }, CancellationToken.None);
                foreach (var failure in restored.Failed ?? [])
                {
                    LogNotRestored(Name, failure.Code, failure.Message);
                }
            }
        }
    }

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "Queue {Queue}: a message looked at stays hidden until its visibility timeout ({Code}: {Reason})")]
    private partial void LogNotRestored(string queue, string code, string reason);

    /// <summary>What a scan does after one message: go on, or stop; and whether the message was taken out of the queue.</summary>
    private enum ScanStep
    {
        Next,
        NextConsumed,
        Stop,
        StopConsumed,
    }
}
