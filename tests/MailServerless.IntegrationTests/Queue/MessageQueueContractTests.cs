using System.Text;
using MailServerless.Core.Queue;

namespace MailServerless.IntegrationTests.Queue;

/// <summary>
/// What every <see cref="IMessageQueue"/> and <see cref="IBlobStore"/> promises, run against the on-disk
/// spool and against SQS + S3 (the emulator): the functions rely on exactly this.
/// </summary>
public abstract class MessageQueueContractTests
{
    /// <summary>A new, empty queue of its own.</summary>
    protected abstract Task<IMessageQueue> OpenAsync();

    protected abstract IBlobStore Blobs { get; }

    /// <summary>The envelopes the queue has dead-lettered, with their reasons.</summary>
    protected abstract Task<IReadOnlyList<QueuedMessage>> DeadLettersAsync(IMessageQueue queue);

    private static QueuedMessage Message(string id) => new()
    {
        Id = id + Guid.NewGuid().ToString("N")[..8],
        ReceivedAt = DateTimeOffset.UtcNow,
        MailFrom = "a@example.net",
        Recipients = ["user1@example.jp", "user2@example.jp"],
        BodyKey = id,
        Size = 42,
        ClientAddress = "192.0.2.1",
    };

    /// <summary>Receives until something arrives or the time is up.</summary>
    private static async Task<IReadOnlyList<QueueLease>> ReceiveWithinAsync(IMessageQueue queue, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var leases = await queue.ReceiveAsync(10, TimeSpan.FromSeconds(1));
            if (leases.Count > 0 || DateTime.UtcNow > deadline)
            {
                return leases;
            }
        }
    }

    [Fact]
    public async Task A_received_message_carries_its_envelope_and_is_gone_once_completed()
    {
        var queue = await OpenAsync();
        var sent = Message("m");
        await queue.EnqueueAsync(sent);

        var lease = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(5)));
        Assert.Equal(sent.Id, lease.Message.Id);
        Assert.Equal(sent.Recipients, lease.Message.Recipients);
        Assert.Equal("192.0.2.1", lease.Message.ClientAddress);
        Assert.Equal(1, lease.ReceiveCount);
        await queue.CompleteAsync(lease);
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Dsn_parameters_and_the_delay_notices_sent_travel_with_the_envelope_also_through_a_retry()
    {
        var queue = await OpenAsync();
        var sent = Message("dsn") with
        {
            Dsn = new DsnRequest
            {
                Return = DsnReturn.Full,
                EnvelopeId = "QQ314159",
                Recipients = new Dictionary<string, RecipientDsn>
                {
                    ["user1@example.jp"] = new() { Notify = DsnNotify.Success | DsnNotify.Delay, OriginalRecipient = "rfc822;User1@Example.JP" },
                    ["user2@example.jp"] = new() { Notify = DsnNotify.Never },
                },
            },
        };
        await queue.EnqueueAsync(sent);
        var lease = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(5)));
        Assert.Equal(sent.Dsn! with { Recipients = null }, lease.Message.Dsn! with { Recipients = null });
        Assert.Equal(DsnNotify.Success | DsnNotify.Delay, lease.Message.Dsn!.For("user1@example.jp").Notify);
        Assert.Equal("rfc822;User1@Example.JP", lease.Message.Dsn.For("USER1@example.jp").OriginalRecipient);
        Assert.Equal(DsnNotify.Never, lease.Message.Dsn.For("user2@example.jp").Notify);

        await queue.RetryAsync(lease, TimeSpan.Zero, lease.Message with { Recipients = ["user1@example.jp"], DelayNotified = ["user1@example.jp"] });
        var again = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(10)));
        Assert.Equal("QQ314159", again.Message.Dsn?.EnvelopeId);
        Assert.Equal(DsnReturn.Full, again.Message.Dsn?.Return);
        Assert.Equal(["user1@example.jp"], again.Message.DelayNotified);
        await queue.CompleteAsync(again);
    }

    [Fact]
    public async Task A_leased_message_is_not_handed_out_twice_and_a_released_one_comes_back_at_once()
    {
        var queue = await OpenAsync();
        await queue.EnqueueAsync(Message("m"));
        var lease = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(5)));
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(1)));

        await queue.ReleaseAsync(lease);
        var again = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(5)));
        Assert.Equal(lease.Message.Id, again.Message.Id);
        await queue.CompleteAsync(again);
    }

    [Fact]
    public async Task The_same_id_is_queued_once_also_after_it_was_completed()
    {
        var queue = await OpenAsync();
        var message = Message("m");
        await queue.EnqueueAsync(message);
        await queue.EnqueueAsync(message);
        var lease = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(5)));
        await queue.CompleteAsync(lease);
        await queue.EnqueueAsync(message);
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_retried_message_is_due_after_its_delay_with_the_attempt_counted_and_only_the_remaining_recipients()
    {
        var queue = await OpenAsync();
        await queue.EnqueueAsync(Message("m"));
        var lease = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(5)));

        await queue.RetryAsync(lease, TimeSpan.FromSeconds(2), lease.Message with { Recipients = ["user2@example.jp"] });
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.Zero));
        var again = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(10)));
        Assert.Equal(lease.Message.Id, again.Message.Id);
        Assert.Equal(1, again.Message.Attempt);
        Assert.Equal(["user2@example.jp"], again.Message.Recipients);
        await queue.CompleteAsync(again);
    }

    [Fact]
    public async Task A_dead_letter_keeps_the_envelope_with_its_reason_and_leaves_the_queue()
    {
        var queue = await OpenAsync();
        var message = Message("m");
        await queue.EnqueueAsync(message);
        var lease = Assert.Single(await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(5)));

        await queue.DeadLetterAsync(lease, "body missing");

        var dead = Assert.Single(await DeadLettersAsync(queue));
        Assert.Equal(message.Id, dead.Id);
        Assert.Equal("body missing", dead.DeadLetterReason);
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Receive_waits_for_a_message_enqueued_meanwhile()
    {
        var queue = await OpenAsync();
        var waiting = queue.ReceiveAsync(10, TimeSpan.FromSeconds(10));
        await Task.Delay(300);
        await queue.EnqueueAsync(Message("m"));
        var lease = Assert.Single(await waiting);
        await queue.CompleteAsync(lease);
    }

    [Fact]
    public async Task Bodies_are_stored_read_copied_and_deleted_and_a_missing_one_says_so()
    {
        var key = "b" + Guid.NewGuid().ToString("N");
        var content = Encoding.UTF8.GetBytes("Subject: hi\r\n\r\n" + new string('x', 100_000) + "\r\n");
        Assert.Equal(content.Length, await Blobs.PutAsync(key, new MemoryStream(content)));
        await Blobs.CopyAsync(key, key + ".fwd");
        foreach (var read in new[] { key, key + ".fwd" })
        {
            await using var stream = await Blobs.OpenReadAsync(read);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(content, copy.ToArray());
        }

        await Blobs.DeleteAsync(key);
        await Blobs.DeleteAsync(key);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Blobs.OpenReadAsync(key));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Blobs.CopyAsync(key, key + ".again"));
        await using (await Blobs.OpenReadAsync(key + ".fwd"))
        {
        }
    }
}
