using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// Two edge processes on one store said to be shared (as EFS is: inotify cannot see another host's writes), with
/// IDLE's polling set to an hour: only the notice the delivering process sends (<c>Mail:Notify</c>) can wake a
/// session, on the other edge over UDP and on its own edge in-process.
/// </summary>
public sealed class ImapIdleAcrossEdgesTests
{
    private static readonly string[] NoPolling =
        ["--Mail:Store:Shared=true", "--Mail:Imap:IdlePollInterval=01:00:00", "--Mail:Imap:IdleWatchedPollInterval=01:00:00"];

    [Fact]
    public async Task Mail_delivered_through_one_edge_wakes_sessions_idling_on_both_at_once()
    {
        var ports = EdgeServerProcess.FreePorts(2);
        await using var first = await MailServerInstance.StartAsync(
            [.. NoPolling, $"--Mail:Notify:Listen=127.0.0.1:{ports[0]}", $"--Mail:Notify:Peers=127.0.0.1:{ports[1]}"]);
        // The second edge: the first one's store and directory (so the same notice key), its own spool and ports.
        await using var second = await MailServerInstance.StartAsync(
            [.. NoPolling, $"--Mail:Store:Path={Path.Combine(first.DataDirectory, "virtual")}",
             $"--Mail:Directory:ConnectionString=Data Source={Path.Combine(first.DataDirectory, "directory.db")}",
             $"--Mail:Notify:Listen=127.0.0.1:{ports[1]}"]);
        await second.WaitForOutputAsync($"mailbox change notices taken on udp 127.0.0.1:{ports[1]}");

        await using var onSecond = await IdleAsync(second, "user1");
        await using var onFirst = await IdleAsync(first, "user2");

        await first.DeliverAsync("user1", "across edges");
        Assert.Equal("* 1 EXISTS", await onSecond.ReadLineAsync(TimeSpan.FromSeconds(30)));

        await first.DeliverAsync("user2", "same edge");
        Assert.Equal("* 1 EXISTS", await onFirst.ReadLineAsync(TimeSpan.FromSeconds(30)));

        foreach (var session in new[] { onSecond, onFirst })
        {
            Assert.Equal("* 1 RECENT", await session.ReadLineAsync());
            await session.SendAsync("DONE\r\n");
            Assert.Equal("i OK Idle completed.", await session.ReadLineAsync());
        }
    }

    [Fact]
    public async Task A_notice_not_signed_with_the_directorys_key_wakes_no_one()
    {
        var ports = EdgeServerProcess.FreePorts(2);
        await using var first = await MailServerInstance.StartAsync(
            [.. NoPolling, $"--Mail:Notify:Listen=127.0.0.1:{ports[0]}", $"--Mail:Notify:Peers=127.0.0.1:{ports[1]}"]);
        // This edge was given a key of its own: the first one's notices do not verify here.
        await using var stranger = await MailServerInstance.StartAsync(
            [.. NoPolling, $"--Mail:Store:Path={Path.Combine(first.DataDirectory, "virtual")}",
             $"--Mail:Directory:ConnectionString=Data Source={Path.Combine(first.DataDirectory, "directory.db")}",
             $"--Mail:Notify:Listen=127.0.0.1:{ports[1]}", "--Mail:Notify:Secret=not-the-directorys-key"]);
        await stranger.WaitForOutputAsync($"mailbox change notices taken on udp 127.0.0.1:{ports[1]}");
        await using var idle = await IdleAsync(stranger, "user3");

        await first.DeliverAsync("user3", "unheard");
        Assert.Equal("(timeout)", await idle.ReadLineAsync(TimeSpan.FromSeconds(3)));

        // The mail is there all the same, for the next command to find.
        await using var look = await ImapWire.LoggedInAsync(stranger.Imaps, "user3");
        Assert.Contains("* STATUS INBOX (MESSAGES 1)", await look.CommandAsync("s STATUS INBOX (MESSAGES)"));
    }

    [Fact]
    public async Task A_stopping_server_says_bye_to_idling_sessions_on_a_polled_store_and_exits()
    {
        await using var server = await MailServerInstance.StartAsync("--Mail:Store:Shared=true");
        await using var staying = await IdleAsync(server, "user4");
        // One client vanishes while idling; the server must not wait for it (or spin) at its stop.
        await (await IdleAsync(server, "user5")).DisposeAsync();

        var stop = await ProcessRunner.RunAsync("kill", ["-TERM", server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(0, stop.ExitCode);
        Assert.Equal("* BYE Server shutting down.", await staying.ReadLineAsync(TimeSpan.FromSeconds(30)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!server.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(server.HasExited, "the server did not exit after SIGTERM:\n" + server.Output);
    }

    private static async Task<ImapWire> IdleAsync(MailServerInstance server, string user)
    {
        var wire = await ImapWire.LoggedInAsync(server.Imaps, user);
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        await wire.SendAsync("i IDLE\r\n");
        Assert.Equal("+ idling", await wire.ReadLineAsync());
        return wire;
    }
}
