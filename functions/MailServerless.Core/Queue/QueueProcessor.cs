using MailServerless.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Queue;

/// <summary>What a function decided about one message.</summary>
public enum FunctionOutcome
{
    Done,
    Retry,
    DeadLetter,
}

/// <param name="Remaining">For a retry: the message narrowed to what is still to do (null: all of it).</param>
public sealed record FunctionResult(FunctionOutcome Outcome, string? Reason = null, QueuedMessage? Remaining = null)
{
    public static FunctionResult Done { get; } = new(FunctionOutcome.Done);

    public static FunctionResult Retry(string reason, QueuedMessage? remaining = null) => new(FunctionOutcome.Retry, reason, remaining);

    public static FunctionResult DeadLetter(string reason) => new(FunctionOutcome.DeadLetter, reason);
}

/// <summary>
/// A function bound to a queue: a plain class with one job that knows nothing of its host
/// (in-process workers here, SQS pollers or Lambda in the cloud).
/// </summary>
public interface IQueueFunction
{
    Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// Runs a function over a queue with a number of workers: done → completed and the body removed;
/// a temporary failure or an exception → retried with exponential backoff until the maximum
/// lifetime, then dead-lettered; a permanent problem → dead-lettered at once.
/// </summary>
public sealed partial class QueueProcessor(
    IMessageQueue queue, IBlobStore blobs, IQueueFunction function, QueueOptions options, TimeProvider clock,
    ILogger<QueueProcessor> logger)
{
    /// <summary>Runs until <paramref name="stopping"/> fires, then lets handled messages finish within the grace time.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var hardStop = new CancellationTokenSource();
        await using var registration = stopping.Register(() => hardStop.CancelAfter(options.ShutdownGrace));
        var workers = Enumerable.Range(0, Math.Max(1, options.Workers)).Select(_ => WorkAsync(stopping, hardStop.Token));
        await Task.WhenAll(workers);
    }

    private async Task WorkAsync(CancellationToken stopping, CancellationToken hardStop)
    {
        while (!stopping.IsCancellationRequested)
        {
            IReadOnlyList<QueueLease> leases;
            try
            {
                leases = await queue.ReceiveAsync(1, TimeSpan.FromSeconds(5), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The queue did not answer (network, throttling, a timeout): this worker waits and asks again.
                LogReceiveFailed(queue.Name, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), clock, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            foreach (var lease in leases)
            {
                await HandleOneAsync(lease, hardStop);
            }
        }
    }

    /// <summary>
    /// Handles one leased message to the end (exposed for hosts that receive themselves, such as a Lambda
    /// batch); true when its outcome is recorded, false when it was given back or left for another try.
    /// </summary>
    public async Task<bool> HandleOneAsync(QueueLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var message = lease.Message;
        FunctionResult result;
        try
        {
            result = await function.HandleAsync(message, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped mid-way: the message stays queued and is handled again after the restart.
            return false;
        }
        catch (Exception e)
        {
            LogFunctionFailed(queue.Name, message.Id, e);
            result = FunctionResult.Retry($"{e.GetType().Name}: {e.Message}");
        }

        try
        {
            await SettleAsync(lease, result);
            return true;
        }
        catch (Exception e)
        {
            // The queue could not record the outcome (disk full, SQS unreachable): hand the message back; it is
            // done again later (idempotently). If even that fails, its lease runs out and it comes back anyway.
            LogSettleFailed(queue.Name, message.Id, e);
            try
            {
                await queue.ReleaseAsync(lease, CancellationToken.None);
            }
            catch (Exception release)
            {
                LogSettleFailed(queue.Name, message.Id, release);
            }

            return false;
        }
    }

    private async Task SettleAsync(QueueLease lease, FunctionResult result)
    {
        var message = lease.Message;
        switch (result.Outcome)
        {
            case FunctionOutcome.Done:
                MailMetrics.QueueOutcome(queue.Name, "done");
                await queue.CompleteAsync(lease, CancellationToken.None);
                await blobs.DeleteAsync(message.BodyKey, CancellationToken.None);
                break;
            case FunctionOutcome.DeadLetter:
                MailMetrics.QueueOutcome(queue.Name, "dead_letter");
                await queue.DeadLetterAsync(lease, result.Reason ?? "dead-lettered", CancellationToken.None);
                break;
            default:
                var age = clock.GetUtcNow() - message.ReceivedAt;
                if (age >= options.MaxLifetime)
                {
                    MailMetrics.QueueOutcome(queue.Name, "dead_letter");
                    await queue.DeadLetterAsync(lease, $"maximal lifetime exceeded; last failure: {result.Reason}", CancellationToken.None);
                }
                else
                {
                    var delay = Backoff(message.Attempt);
                    var reason = result.Reason ?? "temporary failure";
                    MailMetrics.QueueOutcome(queue.Name, "retry");
                    LogRetry(queue.Name, message.Id, delay, reason);
                    // The reason stays with the envelope, for the queue listing (Postfix's mailq shows it too).
                    await queue.RetryAsync(lease, delay, (result.Remaining ?? message) with { LastError = Truncated(reason) }, CancellationToken.None);
                }

                break;
        }
    }

    private static string Truncated(string reason) => reason.Length > 500 ? reason[..500] : reason;

    /// <summary>MinBackoff × 2^attempt, at most MaxBackoff, with ±10 % jitter so retries do not bunch.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt, 30));
        var delay = Math.Min(options.MinBackoff.TotalMilliseconds * factor, options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(delay * (0.9 + (Random.Shared.NextDouble() * 0.2)));
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Queue {Queue}: function failed on {Id}")]
    private partial void LogFunctionFailed(string queue, string id, Exception exception);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Queue {Queue}: could not record the outcome for {Id}")]
    private partial void LogSettleFailed(string queue, string id, Exception exception);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Queue {Queue}: receiving failed, trying again in 5 s: {Reason}")]
    private partial void LogReceiveFailed(string queue, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Queue {Queue}: {Id} deferred for {Delay}: {Reason}")]
    private partial void LogRetry(string queue, string id, TimeSpan delay, string reason);
}
