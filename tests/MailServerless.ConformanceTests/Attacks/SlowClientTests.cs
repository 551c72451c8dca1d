using System.Diagnostics;
using System.Text;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// Slowloris: a client that keeps sending a byte now and then, never finishing its line, its message or
/// its literal, is cut off after about the timeout, however busy it looks; nothing it sent is kept.
/// </summary>
public sealed class SlowClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync(
        $"--Mail:Smtp:IdleTimeout={Timeout}",
        $"--Mail:Pop3:IdleTimeout={Timeout}",
        $"--Mail:Imap:LoginTimeout={Timeout}",
        $"--Mail:Imap:IdleTimeout={Timeout}",
        $"--Mail:Tls:HandshakeTimeout={Timeout}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_client_that_never_starts_its_tls_handshake_is_closed_after_the_handshake_timeout_on_every_implicit_tls_port()
    {
        foreach (var port in new[] { _server.Submissions, _server.Imaps, _server.Pop3s })
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            // Silent: no ClientHello. The server ends the connection (end of stream) at the configured 2 s; with the
            // 30 s default the guard would cancel the read first and the test fail.
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            Assert.Equal(0, await client.GetStream().ReadAsync(new byte[16], guard.Token));
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> one byte per <see cref="Interval"/> (70 bytes: 14 s) while reading
    /// what the server says; returns whether the server closed first, and its last line.
    /// </summary>
    private static async Task<(bool ClosedByServer, string? LastLine)> TrickleAsync(SmtpWire wire, string text)
    {
        using var reading = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        string? last = null;
        var reader = Task.Run(async () =>
        {
            while (await wire.ReadLineAsync(reading.Token) is { } line)
            {
                last = line;
            }
        });

        foreach (var octet in Encoding.ASCII.GetBytes(text))
        {
            if (reader.IsCompleted)
            {
                break;
            }

            try
            {
                await wire.SendAsync([octet]);
            }
            catch (IOException)
            {
                break;
            }

            await Task.Delay(Interval);
        }

        var closed = reader.IsCompleted;
        await reading.CancelAsync();
        await reader.ContinueWith(_ => { }, TaskScheduler.Default);
        return (closed, last);
    }

    private static string Trickle(string start) => start + new string('x', 70 - start.Length);

    private static void AssertCutOffAfterTheTimeout((bool ClosedByServer, string? LastLine) outcome)
    {
        // The client would trickle for 14 s, seven times the timeout: the server must have ended it first.
        Assert.True(outcome.ClosedByServer, "the server should close the connection while the client is still trickling");
    }

    [Fact]
    public async Task Smtp_command_line_trickled_a_byte_at_a_time_is_cut_off_with_421()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        var outcome = await TrickleAsync(wire, Trickle("EHLO "));
        AssertCutOffAfterTheTimeout(outcome);
        Assert.StartsWith("421 4.4.2", outcome.LastLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smtp_data_trickled_a_byte_at_a_time_is_cut_off_and_nothing_is_queued()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        Assert.StartsWith("354", await wire.OpenDataAsync("slow.example", "slow@remote.example", "user1@example.jp"), StringComparison.Ordinal);
        var outcome = await TrickleAsync(wire, Trickle("Subject: slowloris\r\n\r\n"));
        AssertCutOffAfterTheTimeout(outcome);
        Assert.StartsWith("421 4.4.2", outcome.LastLine, StringComparison.Ordinal);

        // Another client is served, and nothing of the trickled message reached the mailbox.
        await using var next = await SmtpWire.ConnectAsync(_server.Smtp);
        Assert.StartsWith("354", await next.OpenDataAsync("fast.example", "fast@remote.example", "user1@example.jp"), StringComparison.Ordinal);
        Assert.StartsWith("250", await next.CommandAsync("Subject: after the slow one\r\n\r\nbody\r\n."), StringComparison.Ordinal);
        await _server.WaitForMessageAsync("user1", "after the slow one");
        Assert.DoesNotContain(_server.Inbox("user1"), message => message.Contains("slowloris", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Imap_line_before_login_trickled_a_byte_at_a_time_is_cut_off_with_bye()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Imaps, implicitTls: true);
        await wire.ReadReplyAsync();
        var outcome = await TrickleAsync(wire, Trickle("a LOGIN user1@example.jp "));
        AssertCutOffAfterTheTimeout(outcome);
        Assert.StartsWith("* BYE", outcome.LastLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Imap_append_literal_trickled_a_byte_at_a_time_is_cut_off_and_nothing_is_stored()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Imaps, implicitTls: true);
        await wire.ReadReplyAsync();
        Assert.StartsWith("a OK", await wire.CommandAsync($"a LOGIN user2@example.jp {MailServerInstance.Password}"), StringComparison.Ordinal);
        Assert.StartsWith("+", await wire.CommandAsync("b APPEND INBOX {5000}"), StringComparison.Ordinal);
        var outcome = await TrickleAsync(wire, Trickle("Subject: slowloris\r\n\r\n"));
        AssertCutOffAfterTheTimeout(outcome);
        Assert.Empty(_server.Inbox("user2"));
    }

    [Fact]
    public async Task Pop3_command_line_trickled_a_byte_at_a_time_is_cut_off()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        await wire.ReadReplyAsync();
        var outcome = await TrickleAsync(wire, Trickle("USER "));
        AssertCutOffAfterTheTimeout(outcome);
        Assert.StartsWith("-ERR", outcome.LastLine, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("imap", "n NOOP")]
    [InlineData("pop3", "USER someone@example.jp")]
    public async Task Commands_without_a_login_cannot_keep_a_connection_past_the_login_time(string protocol, string command)
    {
        await using var wire = await SmtpWire.ConnectAsync(protocol == "imap" ? _server.Imaps : _server.Pop3s, implicitTls: true);
        await wire.ReadReplyAsync();
        var clock = Stopwatch.StartNew();
        var closed = false;
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && !closed) // 15 times the login time
        {
            try
            {
                await wire.SendAsync(command + "\r\n");
                var reply = await wire.ReadReplyAsync(TimeSpan.FromSeconds(5));
                closed = reply.Count == 0 || reply[^1].StartsWith("* BYE", StringComparison.Ordinal) || reply[^1].StartsWith("-ERR", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                closed = true;
            }

            await Task.Delay(300);
        }

        Assert.True(closed, $"{protocol}: still connected after {clock.Elapsed} of commands without a login");
    }
}
