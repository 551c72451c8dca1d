using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace MailServerless.Aws;

/// <summary>
/// Deletes received messages ten at a time (SQS's DeleteMessageBatch): workers that finish at about the
/// same moment share one request, as the spool's writers share one fsync. Each caller still waits until
/// its own message is deleted (or hears why not), so "completed" keeps meaning gone.
/// </summary>
internal sealed class SqsDeleteBatcher : IAsyncDisposable
{
    private const int MaxBatch = 10;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(5);

    private readonly IAmazonSQS _sqs;
    private readonly string _url;
    private readonly Channel<(string ReceiptHandle, TaskCompletionSource Done)> _pending =
        Channel.CreateUnbounded<(string, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public SqsDeleteBatcher(IAmazonSQS sqs, string url)
    {
        _sqs = sqs;
        _url = url;
        _loop = Task.Run(RunAsync);
    }

    public async Task DeleteAsync(string receiptHandle, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _pending.Writer.WriteAsync((receiptHandle, done), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var batch = new List<(string ReceiptHandle, TaskCompletionSource Done)>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item))
            {
                batch.Add(item);
                if (batch.Count < MaxBatch && !_pending.Reader.TryPeek(out _))
                {
                    // A moment for the other workers finishing now to join this request.
                    await Task.Delay(Linger);
                }
            }

            await DeleteBatchAsync(batch);
        }
    }

    private async Task DeleteBatchAsync(List<(string ReceiptHandle, TaskCompletionSource Done)> batch)
    {
        try
        {
            var response = await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
            {
                QueueUrl = _url,
                Entries = batch.Select((item, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), item.ReceiptHandle)).ToList(),
            });
            var failed = (response.Failed ?? []).ToDictionary(f => f.Id, f => $"{f.Code}: {f.Message}");
            for (var i = 0; i < batch.Count; i++)
            {
                if (failed.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var reason))
                {
                    batch[i].Done.TrySetException(new AmazonSQSException($"delete refused: {reason}"));
                }
                else
                {
                    batch[i].Done.TrySetResult();
                }
            }
        }
        catch (Exception e)
        {
            foreach (var item in batch)
            {
                item.Done.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
    }
}
