using System.Net.Http.Json;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Relay;

/// <summary>
/// Vacation replies as PostfixAdmin's vacation sends them: one per sender (interval 0: only once), none to
/// bulk mail, and to an outside sender through the relay with the null sender, signed.
/// </summary>
public sealed class VacationReplyTests
{
    [Fact]
    public async Task Two_messages_from_one_sender_get_one_reply_bulk_mail_none_and_an_outside_sender_a_signed_reply_through_the_relay()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await MailServerInstance.StartAsync(
            "--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={sink.Port}", "--Mail:Relay:RequireTls=false",
            "--Mail:Directory:CacheLifetime=00:00:00");
        using (var api = RelayScenario.AdminApi(server, "user1@example.jp"))
        {
            var set = await api.PutAsJsonAsync("api/mailboxes/user1@example.jp/vacation",
                new { active = true, subject = "Away: $SUBJECT", body = "Back on Monday.", intervalTime = 0 });
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }

        await RelayScenario.SubmitAsync(server, "user2", "user1@example.jp", "first while away");
        await RelayScenario.SubmitAsync(server, "user2", "user1@example.jp", "second while away");
        await server.WaitForMessageAsync("user1", "second while away");
        // One reply for the two: which of them it answers depends on which outbound worker runs first, and RFC 5230
        // §4.2 asks for one reply per sender and period, not for the first message.
        var reply = await server.WaitForMessageAsync("user2", "Away: ");
        Assert.Matches("Subject: Away: (first|second) while away", reply);
        Assert.Contains("Auto-Submitted: auto-replied", reply, StringComparison.Ordinal);
        Assert.Contains("Return-Path: <>", reply, StringComparison.Ordinal);
        await RelayScenario.WaitForLogAsync(server, "has answered user2@example.jp already");
        Assert.Single(server.Inbox("user2"), m => m.Contains("Away:", StringComparison.Ordinal));

        await RelayScenario.SubmitAsync(server, "user3", "user1@example.jp", "newsletter", "Precedence: bulk");
        await server.WaitForMessageAsync("user1", "newsletter");
        await RelayScenario.WaitForLogAsync(server, "no vacation reply: Precedence: bulk");
        Assert.DoesNotContain(server.Inbox("user3"), m => m.Contains("Away:", StringComparison.Ordinal));

        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "friend@remote.example",
            "--to", "user1@example.jp", "--header", "Subject: are you there", "--header", "Message-Id: <question@remote.example>"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);
        var dump = await sink.WaitForMessageAsync("Away: are you there");
        Assert.Contains("X-Mail-Args: <>", dump, StringComparison.Ordinal);
        Assert.Contains("X-Rcpt-Args: <friend@remote.example>", dump, StringComparison.Ordinal);
        var message = RelayScenario.Parse(dump);
        Assert.Equal("auto-replied", message.Headers["Auto-Submitted"]);
        Assert.Equal("question@remote.example", message.InReplyTo);
        var (name, txt) = await RelayScenario.DkimRecordAsync(server);
        Assert.True(await RelayScenario.DkimVerifiesAsync(message, name, txt));
    }
}
