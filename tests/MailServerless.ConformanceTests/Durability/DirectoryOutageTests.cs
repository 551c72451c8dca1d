using System.Net;
using MailServerless.ConformanceTests.Imap;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;
using MySqlConnector;

namespace MailServerless.ConformanceTests.Durability;

/// <summary>MariaDB gone while mail arrives: every answer is temporary (4xx), and mail flows again once it is back.</summary>
public sealed class DirectoryOutageTests
{
    private static async Task<List<string>> SendAsync(MailServerInstance server, string recipient, string subject)
    {
        await using var wire = await SmtpWire.ConnectAsync(server.Smtp);
        var replies = new List<string> { (await wire.ReadReplyAsync())[^1] };
        replies.Add(await wire.CommandAsync("EHLO outage.example"));
        replies.Add(await wire.CommandAsync("MAIL FROM:<sender@remote.example>"));
        var rcpt = await wire.CommandAsync($"RCPT TO:<{recipient}>");
        replies.Add(rcpt);
        if (rcpt.StartsWith("250", StringComparison.Ordinal))
        {
            replies.Add(await wire.CommandAsync("DATA"));
            replies.Add(await wire.CommandAsync($"Subject: {subject}\r\n\r\nbody\r\n."));
        }

        replies.Add(await wire.CommandAsync("QUIT"));
        return replies;
    }

    [Fact]
    public async Task While_mariadb_is_away_smtp_imap_and_health_answer_temporarily_and_mail_flows_again_afterwards()
    {
        var mariadb = new MySqlConnectionStringBuilder(MariaDb.ServerConnectionString);
        await using var outage = new TcpOutage(mariadb.Server, (int)mariadb.Port);
        await using var server = await MailServerInstance.StartBehindOutageAsync(outage, "--Mail:Directory:CacheLifetime=00:00:00");
        var before = await SendAsync(server, "user1@example.jp", "before the outage");
        Assert.DoesNotContain(before, r => r.StartsWith('4') || r.StartsWith('5'));
        await server.WaitForMessageAsync("user1", "before the outage");

        outage.Down();
        var during = await SendAsync(server, "user2@example.jp", "during the outage");
        await using (var imap = await ImapWire.ConnectAsync(server.Imaps, implicitTls: true))
        {
            Assert.StartsWith("l NO [UNAVAILABLE]", await imap.ResultAsync($"l LOGIN user1@example.jp {MailServerInstance.Password}"), StringComparison.Ordinal);
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Http}/") };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("health")).StatusCode);

        // Temporary, never permanent: the sender keeps the message and tries again.
        Assert.DoesNotContain(during, r => r.StartsWith('5'));
        Assert.Contains(during, r => r.StartsWith("451", StringComparison.Ordinal));

        outage.Up();
        var after = await SendAsync(server, "user2@example.jp", "after the outage");
        Assert.DoesNotContain(after, r => r.StartsWith('4') || r.StartsWith('5'));
        await server.WaitForMessageAsync("user2", "after the outage");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
    }
}
