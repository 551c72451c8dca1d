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
        };
        var read = QueuedMessage.FromJson(message.ToJson());
        Assert.Equal(message.AddedHeaders, read.AddedHeaders);
        Assert.Equal(message.RemovedHeaders, read.RemovedHeaders);
        Assert.Equal("Junk", read.Folder);
        Assert.Equal(8.5, read.SpamScore);
        Assert.Equal(message.AuthenticationResults, read.AuthenticationResults);
        Assert.Equal("example.jp", read.ArcSealDomain);
    }
}
