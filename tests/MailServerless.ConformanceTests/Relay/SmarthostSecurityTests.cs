using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Relay;

/// <summary>
/// A smarthost that speaks TLS and wants a login (our own server's submission port stands in for SES):
/// its self-signed certificate is refused unless allowed, a refused login defers the mail, and a message
/// larger than it takes bounces.
/// </summary>
public sealed class SmarthostSecurityTests : IAsyncLifetime
{
    private MailServerInstance _relay = null!;

    public async Task InitializeAsync() => _relay = await MailServerInstance.StartAsync("--Mail:Smtp:MaxMessageSize=4000");

    public async Task DisposeAsync() => await _relay.DisposeAsync();

    private Task<MailServerInstance> SenderAsync(params string[] settings) => MailServerInstance.StartAsync(
        ["--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={_relay.Submission}", "--Mail:Relay:RequireTls=true",
         "--Mail:Relay:Username=user1@example.jp", .. settings]);

    [Fact]
    public async Task A_relay_certificate_that_does_not_verify_is_refused_and_the_mail_waits()
    {
        await using var sender = await SenderAsync($"--Mail:Relay:Password={MailServerInstance.Password}");
        await RelayScenario.SubmitAsync(sender, "user1", "friend@remote.example", "untrusted relay");
        await RelayScenario.WaitForLogAsync(sender, "status=deferred (TLS with 127.0.0.1");
        // The failure in the terms of an SMTP TLS report (RFC 8460).
        await RelayScenario.WaitForLogAsync(sender, "\"result-type\":\"certificate-not-trusted\",\"receiving-mx-hostname\":\"127.0.0.1\"");
        Assert.DoesNotContain(_relay.OutboundEnvelopes(), e => e.Contains("friend@remote.example", StringComparison.Ordinal));
        Assert.DoesNotContain(sender.Inbox("user1"), m => m.Contains("Undelivered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_relay_refusing_the_login_defers_the_mail()
    {
        await using var sender = await SenderAsync("--Mail:Relay:Password=wrong", "--Mail:Relay:AllowInvalidCertificate=true");
        await RelayScenario.SubmitAsync(sender, "user1", "friend@remote.example", "wrong password");
        await RelayScenario.WaitForLogAsync(sender, "status=deferred (SASL authentication failed");
        Assert.DoesNotContain(_relay.OutboundEnvelopes(), e => e.Contains("friend@remote.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_certificate_allowed_and_the_right_login_mail_is_relayed_and_a_message_too_large_for_the_relay_bounces()
    {
        await using var sender = await SenderAsync($"--Mail:Relay:Password={MailServerInstance.Password}", "--Mail:Relay:AllowInvalidCertificate=true");
        await RelayScenario.SubmitAsync(sender, "user1", "friend@remote.example", "through the relay");
        for (var i = 0; i < 150 && !_relay.OutboundEnvelopes().Any(e => e.Contains("friend@remote.example", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
        }

        Assert.Contains(_relay.OutboundEnvelopes(), e => e.Contains("friend@remote.example", StringComparison.Ordinal) &&
                                                        e.Contains("\"authenticatedUser\":\"user1@example.jp\"", StringComparison.Ordinal));

        var big = await ProcessRunner.RunAsync("swaks", [
            "--server", $"127.0.0.1:{sender.Submission}", "--tls", "--auth", "PLAIN", "--auth-user", "user1@example.jp",
            "--auth-password", MailServerInstance.Password, "--from", "user1@example.jp", "--to", "friend@remote.example",
            "--header", "Subject: too big for the relay", "--body", new string('x', 70) + "\n" + string.Concat(Enumerable.Repeat(new string('y', 70) + "\n", 100))]);
        Assert.True(big.ExitCode == 0, big.Output);
        var (_, recipient) = await RelayScenario.BounceAsync(sender, "user1", "Undelivered Mail Returned to Sender");
        Assert.Equal("rfc822; friend@remote.example", recipient["Final-Recipient"]);
        Assert.StartsWith("5.3.4", recipient["Status"], StringComparison.Ordinal);
    }
}
