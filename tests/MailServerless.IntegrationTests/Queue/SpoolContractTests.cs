using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Queue;

/// <summary>The queue contract on the on-disk spool.</summary>
public sealed class SpoolContractTests : MessageQueueContractTests, IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "msl-qc-" + Guid.NewGuid().ToString("N"));
    private readonly List<SpoolQueue> _queues = [];

    public SpoolContractTests() => Blobs = new SpoolBlobStore(Path.Combine(_spool, "bodies"));

    protected override IBlobStore Blobs { get; }

    protected override Task<IMessageQueue> OpenAsync()
    {
        var queue = new SpoolQueue(_spool, "q" + _queues.Count, TimeProvider.System, NullLogger<SpoolQueue>.Instance);
        _queues.Add(queue);
        return Task.FromResult<IMessageQueue>(queue);
    }

    protected override Task<IReadOnlyList<QueuedMessage>> DeadLettersAsync(IMessageQueue queue) =>
        Task.FromResult<IReadOnlyList<QueuedMessage>>(((SpoolQueue)queue).DeadLetters().ToList());

    public void Dispose()
    {
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }

        Directory.Delete(_spool, recursive: true);
    }
}
