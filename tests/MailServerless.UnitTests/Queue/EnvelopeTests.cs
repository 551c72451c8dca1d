using MailServerless.Core.Queue;

namespace MailServerless.UnitTests.Queue;

/// <summary>The envelope (SQS message or spool file) carries what the edge decided to the worker that files the message.</summary>
public sealed class EnvelopeTests
{
    [Fact]
    public void Edge_decisions_survive_the_queue()
    {
        var message = new QueuedMessage
        {
            Id = "id1", ReceivedAt = DateTimeOffset.UnixEpoch, MailFrom = "a@b.test", Recipients = ["c@example.jp"], BodyKey = "id1",
            AddedHeaders = "Authentication-Results: mx; spf=pass\r\n", RemovedHeaders = ["Authentication-Results:mx", "X-Spam"],
            Folder = "Junk", SpamScore = 8.5, AuthenticationResults = "Authentication-Results: mx; spf=pass\r\n", ArcSealDomain = "example.jp",
            RequireTls = true,
        };
        var read = QueuedMessage.FromJson(message.ToJson());
        Assert.Equal(message.AddedHeaders, read.AddedHeaders);
        Assert.Equal(message.RemovedHeaders, read.RemovedHeaders);
        Assert.Equal("Junk", read.Folder);
        Assert.Equal(8.5, read.SpamScore);
        Assert.Equal(message.AuthenticationResults, read.AuthenticationResults);
        Assert.Equal("example.jp", read.ArcSealDomain);
        Assert.True(read.RequireTls);
    }

    [Fact]
    public void An_envelope_queued_before_dsn_gets_the_defaults_bounces_only()
    {
        // As written by a version without DSN: no "dsn" member at all.
        var read = QueuedMessage.FromJson("""{"id":"old1","receivedAt":"2026-01-01T00:00:00+00:00","mailFrom":"a@b.test","recipients":["c@example.jp"],"bodyKey":"old1"}""");
        Assert.Null(read.Dsn);
        var defaults = read.Dsn?.For("c@example.jp") ?? DsnRequest.Defaults;
        Assert.True(defaults.Wants(DsnNotify.Failure));
        Assert.False(defaults.Wants(DsnNotify.Success));
        Assert.False(defaults.Wants(DsnNotify.Delay));
    }

    [Fact]
    public void Notify_flags_are_written_by_name()
    {
        var message = new QueuedMessage
        {
            Id = "id2", ReceivedAt = DateTimeOffset.UnixEpoch, MailFrom = "a@b.test", Recipients = ["c@example.jp"], BodyKey = "id2",
            Dsn = new DsnRequest { Recipients = new Dictionary<string, RecipientDsn> { ["c@example.jp"] = new() { Notify = DsnNotify.Success | DsnNotify.Failure } } },
        };
        var json = message.ToJson();
        Assert.Contains("\"notify\":\"Success, Failure\"", json, StringComparison.Ordinal);
        Assert.True(QueuedMessage.FromJson(json).Dsn!.For("c@example.jp").Wants(DsnNotify.Failure));
        Assert.False(QueuedMessage.FromJson(json).Dsn!.For("c@example.jp").Wants(DsnNotify.Delay));
    }
}
