using System.Net.Http.Json;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Relay;

/// <summary>
/// Submitted mail to outside addresses goes out through a smarthost (Postfix's smtp-sink standing in for
/// SES's SMTP interface): DKIM-signed, retried while the relay answers 4xx, bounced when it answers 5xx.
/// </summary>
public sealed class SmarthostRelayTests
{
    private static Task<MailServerInstance> StartAsync(SmtpSink sink, params string[] settings) => MailServerInstance.StartAsync(
        ["--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={sink.Port}", "--Mail:Relay:RequireTls=false", .. settings]);

    [Fact]
    public async Task Submitted_mail_reaches_the_relay_with_the_envelope_and_a_dkim_signature_that_verifies_against_the_published_key()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink);
        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.example", "signed and sent");

        var dump = await sink.WaitForMessageAsync("signed and sent");
        Assert.Contains("X-Mail-Args: <user1@example.jp>", dump, StringComparison.Ordinal);
        Assert.Contains("X-Rcpt-Args: <friend@remote.example>", dump, StringComparison.Ordinal);
        var message = RelayScenario.Parse(dump);
        var (name, txt) = await RelayScenario.DkimRecordAsync(server);
        Assert.StartsWith("v=DKIM1; k=rsa; p=", txt, StringComparison.Ordinal);
        Assert.EndsWith("._domainkey.example.jp", name, StringComparison.Ordinal);
        Assert.True(await RelayScenario.DkimVerifiesAsync(message, name, txt), "the DKIM signature should verify:\n" + dump);
        await RelayScenario.WaitForLogAsync(server, "to=<friend@remote.example> relay=127.0.0.1");
    }

    [Fact]
    public async Task A_relay_answering_4xx_gets_the_message_again_until_it_takes_it()
    {
        await using var sink = await SmtpSink.StartAsync("-r", "RCPT");
        await using var server = await StartAsync(sink);
        await RelayScenario.SubmitAsync(server, "user1", "later@remote.example", "deferred then sent");

        await RelayScenario.WaitForLogAsync(server, "to=<later@remote.example> relay=127.0.0.1");
        Assert.Contains("status=deferred (450 4.3.0", server.Output, StringComparison.Ordinal);
        Assert.Empty(sink.Messages());
        await sink.RestartAsync();
        var dump = await sink.WaitForMessageAsync("deferred then sent");
        Assert.Contains("X-Rcpt-Args: <later@remote.example>", dump, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Inbox("user1"), m => m.Contains("Undelivered Mail", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_relay_answering_5xx_makes_a_delivery_status_notification_in_the_senders_maildir()
    {
        await using var sink = await SmtpSink.StartAsync("-f", "RCPT");
        await using var server = await StartAsync(sink);
        await RelayScenario.SubmitAsync(server, "user1", "nobody@remote.example", "refused for good");

        var (report, recipient) = await RelayScenario.BounceAsync(server, "user1", "Undelivered Mail Returned to Sender");
        Assert.Equal("rfc822; nobody@remote.example", recipient["Final-Recipient"]);
        Assert.Equal("failed", recipient["Action"]);
        Assert.StartsWith("5.", recipient["Status"], StringComparison.Ordinal);
        Assert.Contains("500 5.3.0", recipient["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.Equal("text/rfc822-headers", report.Last().ContentType.MimeType);
        Assert.Contains("refused for good", report.Last().ToString(), StringComparison.Ordinal);
        Assert.Empty(sink.Messages());
    }

    [Fact]
    public async Task A_rotated_key_waits_until_activated_then_signs_and_ed25519_signatures_verify_too()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink);
        var (firstName, firstTxt) = await RelayScenario.DkimRecordAsync(server);
        using var api = RelayScenario.AdminApi(server);

        var rotated = await api.PostAsJsonAsync("api/domains/example.jp/dkim/rotate", new { algorithm = "Ed25519" });
        Assert.Equal(System.Net.HttpStatusCode.OK, rotated.StatusCode);
        var state = await rotated.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(firstName, state.GetProperty("name").GetString());
        var pending = state.GetProperty("pending");
        var (name, txt) = (pending.GetProperty("name").GetString()!, pending.GetProperty("value").GetString()!);
        Assert.NotEqual(firstName, name);
        Assert.StartsWith("v=DKIM1; k=ed25519; p=", txt, StringComparison.Ordinal);

        // Not published (nor activated) yet: mail is still signed with the key receivers can find.
        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.example", "before the switch");
        var before = RelayScenario.Parse(await sink.WaitForMessageAsync("before the switch"));
        Assert.True(await RelayScenario.DkimVerifiesAsync(before, firstName, firstTxt));

        Assert.Equal(System.Net.HttpStatusCode.OK, (await api.PostAsync("api/domains/example.jp/dkim/activate", null)).StatusCode);
        Assert.Equal((name, txt), await RelayScenario.DkimRecordAsync(server));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await api.PostAsync("api/domains/example.jp/dkim/activate", null)).StatusCode);

        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.example", "signed with ed25519");
        var message = RelayScenario.Parse(await sink.WaitForMessageAsync("signed with ed25519"));
        Assert.Contains("a=ed25519-sha256", message.Headers[MimeKit.HeaderId.DkimSignature], StringComparison.Ordinal);
        Assert.True(await RelayScenario.DkimVerifiesAsync(message, name, txt));

        // Only for domains signed here, by those who manage them.
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, (await api.GetAsync("api/domains/backup.example/dkim")).StatusCode);
        using var owner = RelayScenario.AdminApi(server, "user1@example.jp");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await owner.PostAsync("api/domains/example.jp/dkim/rotate", null)).StatusCode);
    }
}
