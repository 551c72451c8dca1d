using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Queue;

public sealed class QueueProcessorTests : IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "msl-qp-" + Guid.NewGuid().ToString("N"));
    private readonly SpoolQueue _queue;
    private readonly SpoolBlobStore _blobs;

    public QueueProcessorTests()
    {
        _queue = new SpoolQueue(_spool, "inbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
        _blobs = new SpoolBlobStore(Path.Combine(_spool, "bodies"));
    }

    public void Dispose()
    {
        _queue.Dispose();
        Directory.Delete(_spool, recursive: true);
    }

    private static QueueOptions Fast => new()
    {
        Workers = 2,
        MinBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        MaxLifetime = TimeSpan.FromDays(5),
        ShutdownGrace = TimeSpan.FromSeconds(10),
    };

    private QueueProcessor Processor(IQueueFunction function, QueueOptions? options = null) =>
        new(_queue, _blobs, function, options ?? Fast, TimeProvider.System, NullLogger<QueueProcessor>.Instance);

    private async Task<QueuedMessage> EnqueueAsync(string id, DateTimeOffset? received = null)
    {
        await _blobs.PutAsync(id, new MemoryStream("Subject: x\r\n\r\nbody\r\n"u8.ToArray()));
        var message = new QueuedMessage
        {
            Id = id, ReceivedAt = received ?? DateTimeOffset.UtcNow, MailFrom = "a@example.net", Recipients = ["u@example.jp"], BodyKey = id,
        };
        await _queue.EnqueueAsync(message);
        return message;
    }

    private static async Task RunUntilAsync(QueueProcessor processor, Func<bool> done)
    {
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!done() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await run;
        Assert.True(done(), "the processor did not get there in time");
    }

    [Fact]
    public async Task Done_completes_the_message_and_removes_its_body()
    {
        var function = new ScriptedFunction(FunctionResult.Done);
        await EnqueueAsync("m1");

        await RunUntilAsync(Processor(function), () => _queue.Count == 0);

        Assert.Equal(1, function.Calls);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => _blobs.OpenReadAsync("m1"));
    }

    [Fact]
    public async Task Temporary_failures_and_exceptions_are_retried_with_the_attempt_counted_until_done()
    {
        var function = new ScriptedFunction(
            FunctionResult.Retry("store down"), new InvalidOperationException("boom"), FunctionResult.Done);
        await EnqueueAsync("m1");

        await RunUntilAsync(Processor(function), () => _queue.Count == 0);

        Assert.Equal([0, 1, 2], function.Attempts);
    }

    [Fact]
    public async Task Message_past_its_lifetime_is_dead_lettered_with_the_last_failure()
    {
        var function = new ScriptedFunction(FunctionResult.Retry("mailbox store unavailable"));
        await EnqueueAsync("m1", DateTimeOffset.UtcNow.AddDays(-6));

        await RunUntilAsync(Processor(function), () => _queue.Count == 0);

        var dead = Assert.Single(_queue.DeadLetters());
        Assert.Contains("maximal lifetime exceeded", dead.DeadLetterReason, StringComparison.Ordinal);
        Assert.Contains("mailbox store unavailable", dead.DeadLetterReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Permanent_problem_is_dead_lettered_at_once_and_the_next_message_goes_on()
    {
        var function = new ScriptedFunction(FunctionResult.DeadLetter("body missing"), FunctionResult.Done);
        await EnqueueAsync("m1");
        await EnqueueAsync("m2");

        await RunUntilAsync(Processor(function, new QueueOptions { Workers = 1 }), () => _queue.Count == 0);

        Assert.Single(_queue.DeadLetters());
        Assert.Equal(2, function.Calls);
    }

    [Fact]
    public async Task Stop_lets_the_message_being_handled_finish()
    {
        var started = new TaskCompletionSource();
        var function = new SlowFunction(started, TimeSpan.FromMilliseconds(700));
        await EnqueueAsync("m1");
        using var stop = new CancellationTokenSource();
        var run = Processor(function).RunAsync(stop.Token);

        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(function.Finished);
        Assert.Equal(0, _queue.Count);
    }

    [Fact]
    public void Backoff_doubles_from_the_minimum_up_to_the_maximum()
    {
        var processor = Processor(new ScriptedFunction(FunctionResult.Done), new QueueOptions
        {
            MinBackoff = TimeSpan.FromSeconds(300), MaxBackoff = TimeSpan.FromSeconds(4000),
        });

        Assert.InRange(processor.Backoff(0).TotalSeconds, 270, 330);
        Assert.InRange(processor.Backoff(1).TotalSeconds, 540, 660);
        Assert.InRange(processor.Backoff(10).TotalSeconds, 3600, 4400);
    }

    private sealed class ScriptedFunction(params object[] script) : IQueueFunction
    {
        public int Calls { get; private set; }

        public List<int> Attempts { get; } = [];

        public Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
        {
            Attempts.Add(message.Attempt);
            var step = script[Math.Min(Calls++, script.Length - 1)];
            return step is Exception e ? Task.FromException<FunctionResult>(e) : Task.FromResult((FunctionResult)step);
        }
    }

    private sealed class SlowFunction(TaskCompletionSource started, TimeSpan duration) : IQueueFunction
    {
        public bool Finished { get; private set; }

        public async Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
        {
            started.TrySetResult();
            await Task.Delay(duration, cancellationToken);
            Finished = true;
            return FunctionResult.Done;
        }
    }
}
