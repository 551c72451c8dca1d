using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Queue;

/// <summary>
/// The queue tools on the spool where it matters for not losing or doubling mail: a held message is never handed out,
/// a crash halfway through a hold or a release leaves it held (never queued twice), two releases of one message
/// queue it once, a requeued dead letter is handed out again, and an id that is no queue name reaches no file.
/// </summary>
public sealed class SpoolQueueToolsTests : IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "msl-qt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    private SpoolQueue Open() => new(_spool, "outbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);

    private string QueueFile(string id) => Path.Combine(_spool, "outbound", "queue", id + ".json");

    private string HoldFile(string id) => Path.Combine(_spool, "outbound", "hold", id + ".json");

    private static QueuedMessage Message(string id) => new()
    {
        Id = id, ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "a@example.net", Recipients = ["b@remote.example"], BodyKey = id,
    };

    [Fact]
    public async Task A_held_message_is_not_handed_out_until_released()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));

        Assert.Equal(QueueActionResult.Done, await queue.HoldAsync("m1"));
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.Zero));
        Assert.Equal(QueueEntryState.Held, (await queue.FindAsync("m1"))!.State);
        Assert.Equal(1, (await queue.StatisticsAsync()).Held);

        Assert.Equal(QueueActionResult.Done, await queue.UnholdAsync("m1"));
        Assert.Equal("m1", Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero)).Message.Id);
    }

    [Fact]
    public async Task A_message_being_delivered_cannot_be_held_or_deleted()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));
        _ = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));

        Assert.Equal(QueueActionResult.Busy, await queue.HoldAsync("m1"));
        Assert.Equal(QueueActionResult.Busy, await queue.DeleteAsync("m1"));
        Assert.Equal(QueueActionResult.Busy, await queue.RetryNowAsync("m1"));
    }

    [Fact]
    public async Task A_crash_between_the_two_files_of_a_hold_or_release_leaves_the_message_held_once()
    {
        using (var queue = Open())
        {
            await queue.EnqueueAsync(Message("m1"));
            await queue.HoldAsync("m1");
        }

        // As if the process died after writing hold/ and before removing queue/ (or after a release wrote queue/).
        File.Copy(HoldFile("m1"), QueueFile("m1"));
        using var restarted = Open();

        Assert.Empty(await restarted.ReceiveAsync(10, TimeSpan.Zero));
        Assert.False(File.Exists(QueueFile("m1")));
        Assert.Equal(QueueEntryState.Held, (await restarted.FindAsync("m1"))!.State);
    }

    [Fact]
    public async Task Two_releases_of_one_message_queue_it_once()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));
        await queue.HoldAsync("m1");

        var results = await Task.WhenAll(queue.UnholdAsync("m1"), queue.UnholdAsync("m1"));

        Assert.Contains(QueueActionResult.Done, results);
        Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.Zero));
    }

    [Fact]
    public async Task A_requeued_dead_letter_is_handed_out_again_without_its_reason()
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));
        var lease = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));
        await queue.DeadLetterAsync(lease, "gave up");
        Assert.Equal("gave up", Assert.Single(await queue.ListAsync(dead: true)).Message.DeadLetterReason);

        Assert.Equal(1, await queue.RequeueDeadAsync(null));

        var again = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.Zero));
        Assert.Null(again.Message.DeadLetterReason);
        Assert.Empty(await queue.ListAsync(dead: true));
    }

    [Theory]
    [InlineData("../queue/m1")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public async Task An_id_that_is_no_queue_name_reaches_no_file(string id)
    {
        using var queue = Open();
        await queue.EnqueueAsync(Message("m1"));

        Assert.Null(await queue.FindAsync(id));
        Assert.Equal(QueueActionResult.NotFound, await queue.HoldAsync(id));
        Assert.Equal(QueueActionResult.NotFound, await queue.UnholdAsync(id));
        Assert.Equal(QueueActionResult.NotFound, await queue.DeleteAsync(id));
        Assert.Equal(0, await queue.RequeueDeadAsync(id));
        Assert.True(File.Exists(QueueFile("m1")));
    }
}
