using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// IDLE on a local store is woken by inotify: with polling set to an hour, new mail and another session's flag
/// change still reach the idling client, which only the watch can bring.
/// </summary>
public sealed class ImapIdleNotifyTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() =>
        _server = await MailServerInstance.StartAsync("--Mail:Imap:IdlePollInterval=01:00:00", "--Mail:Imap:IdleWatchedPollInterval=01:00:00");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_idling_session_hears_of_new_mail_and_flag_changes_without_polling()
    {
        await using var idle = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        Assert.StartsWith("s OK", await idle.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        await idle.SendAsync("i IDLE\r\n");
        Assert.Equal("+ idling", await idle.ReadLineAsync());

        await _server.DeliverAsync("user1", "woken by inotify");
        Assert.Equal("* 1 EXISTS", await idle.ReadLineAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("* 1 RECENT", await idle.ReadLineAsync());

        await using (var other = await ImapWire.LoggedInAsync(_server.Imaps, "user1"))
        {
            Assert.StartsWith("s OK", await other.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
            Assert.StartsWith("f OK", await other.ResultAsync("f STORE 1 +FLAGS.SILENT (\\Flagged)"), StringComparison.Ordinal);
        }

        Assert.Equal("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))", await idle.ReadLineAsync(TimeSpan.FromSeconds(60)));
        await idle.SendAsync("DONE\r\n");
        Assert.Equal("i OK Idle completed.", await idle.ReadLineAsync());
    }
}
