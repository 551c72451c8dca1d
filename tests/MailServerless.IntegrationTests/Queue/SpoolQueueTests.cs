using System.Text;
using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Queue;

public sealed class SpoolQueueTests : IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "msl-q-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    private SpoolQueue Open() => new(_spool, "inbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);

    private static QueuedMessage Message(string id, DateTimeOffset? received = null) => new()
    {
        Id = id,
        ReceivedAt = received ?? DateTimeOffset.UtcNow,
        MailFrom = "a@example.net",
        Recipients = ["user1@example.jp"],
        BodyKey = id,
    };

    [Fact]
    public async Task Enqueued_message_survives_a_restart_and_a_lease_not_completed_comes_back()
    {
        using (var queue = Open())
        {
            await queue.EnqueueAsync(Message("m1"));
            Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));
        }

        using var restarted = Open();
        var lease = Assert.Single(await restarted.ReceiveAsync(10, TimeSpan.Zero));

        Assert.Equal("m1", lease.Message.Id);
        Assert.Equal(["user1@example.jp"], lease.Message.Recipients);
    }

    [Fact]
    public async Task Leased_message_is_not_handed_out_twice()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));

        var first = await queue.ReceiveAsync(10, TimeSpan.Zero);
        var second = await queue.ReceiveAsync(10, TimeSpan.Zero);

        Assert.Single(first);
        Assert.Empty(second);
    }

    [Fact]
    public async Task Same_id_is_queued_once_also_after_it_was_completed()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));
        await queue.EnqueueAsync(Message("m1"));
        var lease = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));
        await queue.CompleteAsync(lease);

        await queue.EnqueueAsync(Message("m1"));

        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.Zero));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Retried_message_is_due_after_its_delay_with_the_attempt_counted_also_after_a_restart()
    {
        using (var queue = Open())
        {
            await queue.EnqueueAsync(Message("m1"));
            var lease = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));
            await queue.RetryAsync(lease, TimeSpan.FromSeconds(3));
            Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.Zero));
        }

        using var restarted = Open();
        Assert.Empty(await restarted.ReceiveAsync(10, TimeSpan.Zero));
        var again = Assert.Single(await restarted.ReceiveAsync(10, TimeSpan.FromSeconds(15)));
        Assert.Equal(1, again.Message.Attempt);
    }

    [Fact]
    public async Task Retry_keeps_only_the_remaining_recipients_across_a_restart()
    {
        using (var queue = Open())
        {
            await queue.EnqueueAsync(Message("m1") with { Recipients = ["a@example.jp", "b@example.jp"] });
            var lease = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));
            await queue.RetryAsync(lease, TimeSpan.Zero, lease.Message with { Recipients = ["b@example.jp"] });
        }

        using var restarted = Open();
        var again = Assert.Single(await restarted.ReceiveAsync(10, TimeSpan.Zero));
        Assert.Equal(["b@example.jp"], again.Message.Recipients);
        Assert.Equal(1, again.Message.Attempt);
    }

    [Fact]
    public async Task Released_lease_is_due_again_at_once()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));
        var lease = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));

        await queue.ReleaseAsync(lease);

        Assert.Equal(2, Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero)).ReceiveCount);
    }

    [Fact]
    public async Task Envelope_left_behind_by_a_crash_after_completion_is_not_delivered_again()
    {
        using (var queue = Open())
        {
            await queue.EnqueueAsync(Message("m1"));
        }

        var envelope = await File.ReadAllTextAsync(Path.Combine(_spool, "inbound", "queue", "m1.json"));
        using (var queue = Open())
        {
            await queue.CompleteAsync(Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero)));
        }

        // As if the deletion had not reached the disk before the crash.
        await File.WriteAllTextAsync(Path.Combine(_spool, "inbound", "queue", "m1.json"), envelope);

        using var restarted = Open();
        Assert.Empty(await restarted.ReceiveAsync(10, TimeSpan.Zero));
    }

    [Fact]
    public async Task Receive_wakes_up_when_a_message_is_enqueued()
    {
        using var queue = Open();
        var waiting = queue.ReceiveAsync(1, TimeSpan.FromSeconds(10));

        await Task.Delay(100);
        await queue.EnqueueAsync(Message("m1"));

        var finished = await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.Same(waiting, finished);
        Assert.Single(await waiting);
    }

    [Fact]
    public async Task Dead_letter_keeps_the_envelope_with_its_reason()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));
        var lease = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));

        await queue.DeadLetterAsync(lease, "body missing");

        var dead = Assert.Single(queue.DeadLetters());
        Assert.Equal("body missing", dead.DeadLetterReason);
        Assert.Equal(0, queue.Count);
        await queue.EnqueueAsync(Message("m1"));
        Assert.Equal(0, queue.Count);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"id\":\"m2\"}")]
    [InlineData("{\"id\":\"other\",\"receivedAt\":\"2024-01-01T00:00:00Z\",\"mailFrom\":\"\",\"recipients\":[\"a@b\"],\"bodyKey\":\"k\"}")]
    public async Task Malformed_envelope_is_set_aside_with_a_reason_and_the_rest_goes_on(string content)
    {
        using (var queue = Open())
        {
            await queue.EnqueueAsync(Message("m1"));
        }

        await File.WriteAllTextAsync(Path.Combine(_spool, "inbound", "queue", "m2.json"), content, Encoding.UTF8);

        using var restarted = Open();
        Assert.Equal("m1", Assert.Single(await restarted.ReceiveAsync(10, TimeSpan.Zero)).Message.Id);
        Assert.True(File.Exists(Path.Combine(_spool, "inbound", "dead", "m2.json.malformed")));
        Assert.NotEmpty(await File.ReadAllTextAsync(Path.Combine(_spool, "inbound", "dead", "m2.json.reason")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData(".hidden")]
    public async Task Unsafe_ids_are_refused(string id)
    {
        using var queue = Open();

        await Assert.ThrowsAsync<ArgumentException>(() => queue.EnqueueAsync(Message(id)));
    }

    [Fact]
    public async Task Orphan_bodies_are_removed_and_referenced_ones_kept()
    {
        var blobs = new SpoolBlobStore(Path.Combine(_spool, "bodies"));
        using var queue = Open();
        await blobs.PutAsync("m1", new MemoryStream("kept"u8.ToArray()));
        await blobs.PutAsync("orphan", new MemoryStream("gone"u8.ToArray()));
        await queue.EnqueueAsync(Message("m1"));

        var removed = blobs.RemoveOrphans([queue.ReferencedBodyKeys()], TimeSpan.Zero);

        Assert.Equal(1, removed);
        await using var kept = await blobs.OpenReadAsync("m1");
        await Assert.ThrowsAsync<BlobNotFoundException>(() => blobs.OpenReadAsync("orphan"));
    }
}
