using System.Net;
using System.Text;
using MailServerless.ConformanceTests.Imap;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>Many connections from one address, commands smuggled behind STLS, and over-long lines on POP3.</summary>
public sealed class ConnectionAbuseTests : IAsyncLifetime
{
    private const int Limit = 5;
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync(
        $"--Mail:Smtp:MaxConnectionsPerClient={Limit}",
        $"--Mail:Imap:MaxConnectionsPerClient={Limit}",
        $"--Mail:Pop3:MaxConnectionsPerClient={Limit}",
        "--Mail:Smtp:MaxRecipients=3", "--Mail:Smtp:RecipientOvershootLimit=5");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Connections_from_one_address_beyond_the_limit_are_refused_on_every_protocol_while_other_addresses_get_in()
    {
        var flooder = IPAddress.Parse("127.0.0.30");
        var other = IPAddress.Parse("127.0.0.31");
        foreach (var (port, refusal, greeting, implicitTlsPort) in new[]
        {
            (_server.Smtp, "421 4.7.0", "220 ", _server.Submissions),
            (_server.Imap, "* BYE [UNAVAILABLE]", "* OK", _server.Imaps),
            (_server.Pop3, "-ERR [SYS/TEMP]", "+OK", _server.Pop3s),
        })
        {
            var held = new List<SmtpWire>();
            try
            {
                for (var i = 0; i < Limit; i++)
                {
                    var wire = await SmtpWire.ConnectAsync(port, from: flooder);
                    held.Add(wire);
                    Assert.StartsWith(greeting, (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
                }

                await using (var extra = await SmtpWire.ConnectAsync(port, from: flooder))
                {
                    Assert.StartsWith(refusal, (await extra.ReadReplyAsync())[0], StringComparison.Ordinal);
                    Assert.Empty(await extra.ReadReplyAsync(TimeSpan.FromSeconds(5)));
                }

                // The limit is per address and protocol, whichever port: on the implicit-TLS port the
                // extra connection is closed before any handshake.
                await Assert.ThrowsAnyAsync<IOException>(() => SmtpWire.ConnectAsync(implicitTlsPort, implicitTls: true, flooder));

                await using (var bystander = await SmtpWire.ConnectAsync(port, from: other))
                {
                    Assert.StartsWith(greeting, (await bystander.ReadReplyAsync())[0], StringComparison.Ordinal);
                }
            }
            finally
            {
                foreach (var wire in held)
                {
                    await wire.DisposeAsync();
                }
            }

            Assert.True(await _server.WaitForOutputAsync($"connection limit: refused a connection from [{flooder}] on port {port}") > 0, _server.Output);
        }
    }

    [Fact]
    public async Task Pop3_commands_pipelined_behind_stls_are_thrown_away()
    {
        // The plaintext USER/PASS behind STLS (RFC 2595 §4, CVE-2011-0411) must not log the session in.
        await using var wire = await SmtpWire.ConnectAsync(_server.Pop3);
        await wire.ReadReplyAsync();
        await wire.SendAsync($"STLS\r\nUSER user1@example.jp\r\nPASS {MailServerInstance.Password}\r\n");
        Assert.StartsWith("+OK", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        await wire.StartTlsAsync();
        Assert.StartsWith("-ERR", await wire.CommandAsync("STAT"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync("USER user1@example.jp"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync($"PASS {MailServerInstance.Password}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Imap_commands_pipelined_behind_starttls_are_thrown_away()
    {
        await using var wire = await ImapWire.ConnectAsync(_server.Imap);
        await wire.SendAsync($"s STARTTLS\r\nl LOGIN user1@example.jp {MailServerInstance.Password}\r\nx SELECT INBOX\r\n");
        Assert.StartsWith("s OK", await wire.ReadLineAsync(), StringComparison.Ordinal);
        await wire.StartTlsAsync();
        Assert.StartsWith("n BAD", await wire.ResultAsync("n SELECT INBOX"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pop3_over_long_lines_get_err_without_being_run_and_the_session_goes_on()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        await wire.ReadReplyAsync();
        Assert.StartsWith("-ERR", await wire.CommandAsync("USER " + new string('a', 20_000) + "@example.jp"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await wire.CommandAsync("CAPA" + new string(' ', 300) + "x"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync("USER user3@example.jp"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await wire.CommandAsync($"PASS {MailServerInstance.Password}"), StringComparison.Ordinal);
        await using var raw = await SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        await raw.ReadReplyAsync();
        await raw.SendAsync(Encoding.ASCII.GetBytes(new string('A', 1_000_000) + "\r\nNOOP\r\n"));
        Assert.StartsWith("-ERR", (await raw.ReadReplyAsync())[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recipients_past_the_limit_and_its_overshoot_count_as_errors_until_the_session_ends()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO flood.example");
        await wire.CommandAsync("MAIL FROM:<flood@remote.example>");
        var replies = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var reply = await wire.CommandAsync("RCPT TO:<user1@example.jp>");
            replies.Add(reply);
            if (!reply.StartsWith('2') && !reply.StartsWith("452", StringComparison.Ordinal))
            {
                break;
            }
        }

        // 3 accepted, 5 refused as overshoot, then 20 errors (Mail:Smtp:MaxErrors) and the session ends with 421.
        Assert.Equal(3, replies.Count(r => r.StartsWith("250", StringComparison.Ordinal)));
        Assert.StartsWith("421", replies[^1], StringComparison.Ordinal);
        Assert.InRange(replies.Count, 3 + 5 + 19, 3 + 5 + 21);
    }
}
