using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Durability;

/// <summary>The spool's disk full: the message is refused temporarily at DATA, nothing is acknowledged, and mail flows when space returns.</summary>
public sealed class SpoolFullTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    // 1 MiB of spool: a 2 MB message cannot fit, a small one can once the failed one's space is freed.
    public async Task InitializeAsync() => _server = await MailServerInstance.StartWithSmallFileSystemAsync("spool", 1024 * 1024);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_message_the_spool_cannot_hold_gets_4xx_at_data_and_the_next_one_is_accepted_and_delivered()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        Assert.StartsWith("354", await wire.OpenDataAsync("full.example", "sender@remote.example", "user1@example.jp"), StringComparison.Ordinal);
        var line = new string('x', 998) + "\r\n";
        var body = "Subject: too big for the spool\r\n\r\n" + string.Concat(Enumerable.Repeat(line, 2000)) + ".";
        var refused = await wire.CommandAsync(body);

        Assert.StartsWith("4", refused, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Inbox("user1"), m => m.Contains("too big for the spool", StringComparison.Ordinal));

        await wire.CommandAsync("RSET");
        await wire.CommandAsync("MAIL FROM:<sender@remote.example>");
        await wire.CommandAsync("RCPT TO:<user1@example.jp>");
        await wire.CommandAsync("DATA");
        Assert.StartsWith("250", await wire.CommandAsync("Subject: small enough\r\n\r\nfits.\r\n."), StringComparison.Ordinal);
        await _server.WaitForMessageAsync("user1", "small enough");
        Assert.DoesNotContain(_server.Inbox("user1"), m => m.Contains("too big for the spool", StringComparison.Ordinal));
    }
}
