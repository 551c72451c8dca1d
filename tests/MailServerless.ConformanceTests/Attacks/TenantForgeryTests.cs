using System.Net.Http.Json;
using System.Text;
using MailServerless.ConformanceTests.Relay;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// A tenant who writes another tenant's (or another user's) address in From: or Sender: gets neither the
/// message through nor the other domain's DKIM key behind it; their own addresses, aliases and alias
/// domains go through signed as before.
/// </summary>
public sealed class TenantForgeryTests
{
    private static async Task<MailServerInstance> StartAsync(SmtpSink sink, params string[] settings)
    {
        var server = await MailServerInstance.StartAsync(
            ["--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={sink.Port}", "--Mail:Relay:RequireTls=false", .. settings]);
        using var api = RelayScenario.AdminApi(server);
        (await api.PostAsJsonAsync("api/domains", new { domain = "b.test" })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("api/mailboxes", new { address = "ceo@b.test", password = "a long password", quota = "1M" })).EnsureSuccessStatusCode();
        return server;
    }

    /// <summary>Submits over 465 as user1 with the envelope sender user1@example.jp and these headers; returns the reply to the end of DATA.</summary>
    private static async Task<string> SubmitAsync(MailServerInstance server, string headers, string subject)
    {
        await using var wire = await SmtpWire.ConnectAsync(server.Submissions, implicitTls: true);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        Assert.StartsWith("235", await wire.CommandAsync(
            "AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0user1@example.jp\0{MailServerInstance.Password}"))), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<user1@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("RCPT TO:<friend@remote.example>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        return await wire.CommandAsync($"{headers}\r\nTo: friend@remote.example\r\nSubject: {subject}\r\n\r\nPay the invoice.\r\n.");
    }

    [Theory]
    [InlineData("From: CEO <ceo@b.test>", "From: address rejected")]
    [InlineData("From: user1@example.jp, CEO <ceo@b.test>\r\nSender: user1@example.jp", "From: address rejected")]
    [InlineData("From: user1@example.jp\r\nSender: ceo@b.test", "Sender: address rejected")]
    [InlineData("From: Colleague <user2@example.jp>", "From: address rejected")]
    [InlineData("From: =?utf-8?q?CEO?= <CEO@B.TEST>", "From: address rejected")]
    public async Task A_submission_whose_From_or_Sender_is_not_the_users_is_refused_at_the_end_of_data(string headers, string reason)
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink);

        var reply = await SubmitAsync(server, headers, "forged");

        Assert.StartsWith("553 5.7.1", reply, StringComparison.Ordinal);
        Assert.Contains(reason, reply, StringComparison.Ordinal);
        Assert.Empty(sink.Messages());
        Assert.Empty(server.OutboundEnvelopes());
    }

    [Theory]
    [InlineData("From: Me <user1@example.jp>")]
    [InlineData("From: Info desk <info@example.jp>")] // an alias delivering to user1
    [InlineData("From: user1@example.com")] // the alias domain
    public async Task Own_addresses_aliases_and_alias_domains_go_out_signed_for_their_domain(string headers)
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink);

        Assert.StartsWith("250 2.0.0", await SubmitAsync(server, headers, "own address"), StringComparison.Ordinal);

        var message = RelayScenario.Parse(await sink.WaitForMessageAsync("own address"));
        var domain = headers.EndsWith("example.com", StringComparison.Ordinal) ? "example.com" : "example.jp";
        var signature = Assert.Single(message.Headers, h => h.Id == MimeKit.HeaderId.DkimSignature);
        Assert.Contains($"d={domain};", signature.Value.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_header_check_off_a_forged_From_still_never_gets_the_other_domains_key()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink, "--Mail:Smtp:RejectHeaderSenderMismatch=false");

        Assert.StartsWith("250 2.0.0", await SubmitAsync(server, "From: CEO <ceo@b.test>", "unchecked"), StringComparison.Ordinal);

        var message = RelayScenario.Parse(await sink.WaitForMessageAsync("unchecked"));
        Assert.DoesNotContain(message.Headers, h => h.Id == MimeKit.HeaderId.DkimSignature);
    }
}
