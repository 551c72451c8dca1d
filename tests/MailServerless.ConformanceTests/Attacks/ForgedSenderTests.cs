using System.Net.Http.Json;
using System.Text.RegularExpressions;
using MailServerless.ConformanceTests.Relay;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// A stranger on the MX cannot claim a hosted domain as envelope sender, and mail forwarded to an outside
/// address leaves with an SRS sender of ours (passing SPF as our own), whose bounces come back, are checked,
/// and go on to the original sender; a forged SRS address is refused.
/// </summary>
public sealed partial class ForgedSenderTests
{
    private static Task<MailServerInstance> StartAsync(SmtpSink sink, params string[] settings) => MailServerInstance.StartAsync(
        ["--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={sink.Port}", "--Mail:Relay:RequireTls=false", .. settings]);

    /// <summary>The reply to RCPT TO a local mailbox after this MAIL FROM (refused at RCPT, as Postfix's smtpd_delay_reject has it).</summary>
    private static async Task<string> MailFromAsync(MailServerInstance server, string sender)
    {
        await using var wire = await SmtpWire.ConnectAsync(server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        Assert.StartsWith("250", await wire.CommandAsync($"MAIL FROM:<{sender}>"), StringComparison.Ordinal);
        return await wire.CommandAsync("RCPT TO:<user2@example.jp>");
    }

    [Theory]
    [InlineData("user1@example.jp")]
    [InlineData("ceo@EXAMPLE.JP")]
    [InlineData("user1@example.com")] // the alias domain
    public async Task An_unauthenticated_sender_in_a_hosted_domain_is_refused_on_the_MX(string sender)
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink);

        Assert.StartsWith("553 5.7.1", await MailFromAsync(server, sender), StringComparison.Ordinal);
        Assert.StartsWith("250", await MailFromAsync(server, "stranger@remote.example"), StringComparison.Ordinal);
        Assert.StartsWith("250", await MailFromAsync(server, ""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_refusal_can_be_turned_off()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink, "--Mail:Smtp:RejectUnauthenticatedLocalSender=false");

        Assert.StartsWith("250", await MailFromAsync(server, "user1@example.jp"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forward_leaves_with_an_SRS_sender_whose_bounce_comes_back_to_the_original_sender()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink);
        using (var api = RelayScenario.AdminApi(server))
        {
            (await api.PostAsJsonAsync("api/aliases", new { address = "fwd@example.jp", @goto = new[] { "friend@remote.example" } }))
                .EnsureSuccessStatusCode();
        }

        var sent = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "alice@remote.example",
            "--to", "fwd@example.jp", "--header", "Subject: forwarded"]);
        Assert.True(sent.ExitCode == 0, sent.Output);

        var forward = await sink.WaitForMessageAsync("Subject: forwarded");
        var srs = MailArgs().Match(forward).Groups["sender"].Value;
        Assert.Matches("^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=remote.example=alice@mx.example.jp$", srs);
        Assert.Contains("X-Rcpt-Args: <friend@remote.example>", forward, StringComparison.Ordinal);

        // friend's server bounces it to the SRS address: it reaches alice.
        var bounce = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "",
            "--to", srs, "--header", "Subject: bounced back"]);
        Assert.True(bounce.ExitCode == 0, bounce.Output);
        var returned = await sink.WaitForMessageAsync("Subject: bounced back");
        Assert.Contains("X-Rcpt-Args: <alice@remote.example>", returned, StringComparison.Ordinal);

        // A made-up SRS address is no relay.
        await using var wire = await SmtpWire.ConnectAsync(server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        await wire.CommandAsync("MAIL FROM:<>");
        Assert.StartsWith("550 5.1.1", await wire.CommandAsync("RCPT TO:<SRS0=AAAA=JW=victim.example=bob@mx.example.jp>"), StringComparison.Ordinal);
    }

    [GeneratedRegex("X-Mail-Args: <(?<sender>[^>]*)>")]
    private static partial Regex MailArgs();
}
