using System.Text;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Pop3;

/// <summary>POP3 rules and wrong input, on the wire: states, numbers, the session lock, updates only at QUIT.</summary>
public sealed class Pop3BehaviourTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync()
    {
        _server = await MailServerInstance.StartAsync("--Mail:Auth:MaxFailuresPerAddress=50");
        await _server.DeliverAsync("user1", "first");
        await _server.DeliverAsync("user1", "second");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<SmtpWire> LoggedInAsync(string user = "user1")
    {
        var wire = await SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        Assert.StartsWith("+OK", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync($"USER {user}@example.jp"), StringComparison.Ordinal);
        Assert.Equal("+OK Logged in.", await wire.CommandAsync($"PASS {MailServerInstance.Password}"));
        return wire;
    }

    /// <summary>Reads a multi-line POP3 answer up to its "." line.</summary>
    private static async Task<List<string>> MultiLineAsync(SmtpWire wire)
    {
        var lines = new List<string>();
        while (true)
        {
            var line = (await wire.ReadReplyAsync())[0];
            if (line == ".")
            {
                return lines;
            }

            lines.Add(line);
        }
    }

    [Fact]
    public async Task Plaintext_login_is_refused_before_tls_and_offered_after_stls()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Pop3);
        await wire.ReadReplyAsync();

        Assert.StartsWith("-ERR [AUTH] Plaintext authentication disallowed", await wire.CommandAsync("USER user1@example.jp"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR [AUTH] Plaintext authentication disallowed", await wire.CommandAsync("AUTH PLAIN AHVzZXIxQGV4YW1wbGUuanAAc2VjcmV0"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync("STLS"), StringComparison.Ordinal);
        await wire.StartTlsAsync();
        Assert.StartsWith("+OK", await wire.CommandAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0user2@example.jp\0{MailServerInstance.Password}"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_in_the_wrong_state_unknown_commands_and_bad_numbers_get_err()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        await wire.ReadReplyAsync();
        Assert.StartsWith("-ERR", await wire.CommandAsync("STAT"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("PASS secret"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("XYZZY"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("AUTH PLAIN !!!"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("AUTH  "), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("USER " + new string('x', 300)), StringComparison.Ordinal);
        await wire.CommandAsync("USER user3@example.jp");
        Assert.Equal("+OK Logged in.", await wire.CommandAsync($"PASS {MailServerInstance.Password}"));

        Assert.StartsWith("-ERR There's no message 1.", await wire.CommandAsync("RETR 1"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("LIST abc"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("TOP 1"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("USER again@example.jp"), StringComparison.Ordinal);
        Assert.Equal("+OK 0 0", await wire.CommandAsync("STAT"));
    }

    [Fact]
    public async Task Second_session_on_the_same_mailbox_is_in_use_until_the_first_quits()
    {
        await using var first = await LoggedInAsync("user2");
        await using var second = await SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        await second.ReadReplyAsync();
        await second.CommandAsync("USER user2@example.jp");

        Assert.StartsWith("-ERR [IN-USE]", await second.CommandAsync($"PASS {MailServerInstance.Password}"), StringComparison.Ordinal);

        Assert.StartsWith("+OK", await first.CommandAsync("QUIT"), StringComparison.Ordinal);
        await second.CommandAsync("USER user2@example.jp");
        Assert.Equal("+OK Logged in.", await second.CommandAsync($"PASS {MailServerInstance.Password}"));
    }

    [Fact]
    public async Task Deletions_happen_only_at_quit_and_retrieved_messages_become_seen()
    {
        await _server.DeliverAsync("user5", "keep-me");
        await _server.DeliverAsync("user5", "delete-me");
        await using (var vanishing = await LoggedInAsync("user5"))
        {
            Assert.StartsWith("+OK", await vanishing.CommandAsync("DELE 2"), StringComparison.Ordinal);
            Assert.StartsWith("-ERR Message is deleted.", await vanishing.CommandAsync("RETR 2"), StringComparison.Ordinal);
            Assert.StartsWith("+OK 1 ", await vanishing.CommandAsync("STAT"), StringComparison.Ordinal);
            // Gone without QUIT: nothing may be deleted.
        }

        await Task.Delay(300);
        Assert.Equal(2, _server.Inbox("user5").Length);

        await using var wire = await LoggedInAsync("user5");
        Assert.StartsWith("+OK", await wire.CommandAsync("RETR 1"), StringComparison.Ordinal);
        var message = await MultiLineAsync(wire);
        Assert.Contains(message, l => l.Contains("keep-me", StringComparison.Ordinal));
        Assert.StartsWith("+OK", await wire.CommandAsync("DELE 2"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync("RSET"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync("DELE 2"), StringComparison.Ordinal);
        Assert.Equal("+OK Logging out, messages deleted.", await wire.CommandAsync("QUIT"));

        var left = Assert.Single(Directory.GetFiles(Path.Combine(_server.MaildirRoot("user5"), "cur")));
        Assert.EndsWith(":2,S", left, StringComparison.Ordinal);
        Assert.Contains("keep-me", await File.ReadAllTextAsync(left), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_logins_are_slowed_and_answered_with_the_auth_code()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("USER user4@example.jp");
        var started = DateTime.UtcNow;

        var reply = await wire.CommandAsync("PASS wrong");

        Assert.Equal("-ERR [AUTH] Authentication failed.", reply);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(90), "a failed login is answered after the failure delay");
        await wire.CommandAsync("USER user4@example.jp");
        Assert.Equal("+OK Logged in.", await wire.CommandAsync($"PASS {MailServerInstance.Password}"));
    }

    [Fact]
    public async Task List_uidl_and_stat_agree_and_uidls_are_stable_across_sessions()
    {
        List<string> uidl1, list;
        await using (var wire = await LoggedInAsync())
        {
            await wire.SendAsync("UIDL\r\n");
            Assert.StartsWith("+OK", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
            uidl1 = await MultiLineAsync(wire);
            await wire.SendAsync("LIST\r\n");
            Assert.StartsWith("+OK 2 messages", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
            list = await MultiLineAsync(wire);
            var stat = await wire.CommandAsync("STAT");
            Assert.Equal($"+OK 2 {list.Sum(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))}", stat);
            await wire.CommandAsync("QUIT");
        }

        await using var again = await LoggedInAsync();
        await again.SendAsync("UIDL\r\n");
        await again.ReadReplyAsync();
        Assert.Equal(uidl1, await MultiLineAsync(again));
        Assert.All(uidl1, l => Assert.Matches("^[12] [0-9a-f]{16}$", l));
    }
}
