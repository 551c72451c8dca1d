using System.Text;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Authentication;

/// <summary>
/// SPF, DKIM and DMARC on the MX against records on a real (loopback) DNS server: each decision made in the SMTP
/// session, and every delivered message carrying our Authentication-Results.
/// </summary>
public sealed class InboundAuthenticationTests : IAsyncLifetime
{
    private AuthenticationZone _zone = null!;
    private MailServerInstance _server = null!;

    public async Task InitializeAsync()
    {
        _zone = await AuthenticationZone.StartAsync();
        _server = await MailServerInstance.StartAsync(_zone.Settings);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _zone.DisposeAsync();
    }

    [Theory]
    [InlineData("spf-pass.test", "spf=pass")]
    [InlineData("spf-soft.test", "spf=softfail")]
    [InlineData("spf-neutral.test", "spf=neutral")]
    [InlineData("nothing-published.test", "spf=none")]
    [InlineData("spf-perm.test", "spf=permerror")]
    public async Task Spf_result_is_recorded_in_authentication_results(string domain, string expected)
    {
        var subject = "spf " + domain;
        var (rcpt, data) = await SendAsync($"someone@{domain}", "user1@example.jp", AuthenticationZone.Message($"someone@{domain}", "user1@example.jp", subject));
        Assert.StartsWith("250", rcpt, StringComparison.Ordinal);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        var delivered = await _server.WaitForMessageAsync("user1", subject);
        var results = AuthenticationResults(delivered);
        Assert.Contains(expected + " ", results, StringComparison.Ordinal);
        Assert.Contains($"smtp.mailfrom=someone@{domain}", results, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spf_fail_is_refused_at_rcpt()
    {
        var (rcpt, _) = await SendAsync("someone@spf-fail.test", "user1@example.jp", AuthenticationZone.Message("someone@spf-fail.test", "user1@example.jp", "fail"));
        Assert.StartsWith("550 5.7.23", rcpt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spf_temperror_when_dns_does_not_answer_is_a_temporary_refusal()
    {
        var (rcpt, _) = await SendAsync("someone@down.unreachable.test", "user1@example.jp", AuthenticationZone.Message("someone@down.unreachable.test", "user1@example.jp", "down"));
        Assert.StartsWith("451 4.4.3", rcpt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dkim_signature_with_a_published_key_passes_and_aligns_dmarc()
    {
        var message = _zone.SignedMessage("ceo@signed.test", "user1@example.jp", "dkim pass");
        var (_, data) = await SendAsync("bounce@spf-pass.test", "user1@example.jp", message);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        var results = AuthenticationResults(await _server.WaitForMessageAsync("user1", "dkim pass"));
        Assert.Contains("dkim=pass header.d=signed.test header.s=sel header.b=", results, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=signed.test", results, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dkim_signature_over_a_changed_body_fails_and_dmarc_reject_refuses_it_in_the_session()
    {
        var message = _zone.SignedMessage("ceo@signed.test", "user1@example.jp", "dkim changed");
        Assert.IsType<TextPart>(message.Body).Text = "Changed on the way.\r\n";
        var (_, data) = await SendAsync("bounce@spf-pass.test", "user1@example.jp", message);
        Assert.StartsWith("550 5.7.1", data, StringComparison.Ordinal);
        Assert.Contains("DMARC", data, StringComparison.Ordinal);
        Assert.Contains("dkim=fail", _server.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Dkim_signature_whose_key_is_not_published_is_a_permerror()
    {
        var message = _zone.SignedMessage("someone@spf-pass.test", "user1@example.jp", "dkim no key", selector: "missing");
        var (_, data) = await SendAsync("someone@spf-pass.test", "user1@example.jp", message);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        var results = AuthenticationResults(await _server.WaitForMessageAsync("user1", "dkim no key"));
        Assert.Contains("dkim=permerror", results, StringComparison.Ordinal);
        Assert.Contains("header.s=missing", results, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dmarc_reject_without_aligned_pass_is_refused_at_end_of_data()
    {
        var (rcpt, data) = await SendAsync("someone@spf-pass.test", "user1@example.jp", AuthenticationZone.Message("boss@reject.test", "user1@example.jp", "dmarc reject"));
        Assert.StartsWith("250", rcpt, StringComparison.Ordinal);
        Assert.Equal("550 5.7.1 Email rejected per DMARC policy for reject.test", data);
        await Task.Delay(500);
        Assert.DoesNotContain(_server.Inbox("user1"), m => m.Contains("dmarc reject", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dmarc_quarantine_is_delivered_to_junk()
    {
        var (_, data) = await SendAsync("someone@spf-pass.test", "user1@example.jp", AuthenticationZone.Message("boss@quarantine.test", "user1@example.jp", "dmarc quarantine"));
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        var junk = await WaitInFolderAsync("user1", ".Junk", "dmarc quarantine");
        Assert.Contains("dmarc=fail (p=QUARANTINE sp=QUARANTINE dis=QUARANTINE) header.from=quarantine.test", AuthenticationResults(junk), StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Inbox("user1"), m => m.Contains("dmarc quarantine", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_forged_result_under_our_authserv_id_is_removed_and_others_are_kept()
    {
        var message = AuthenticationZone.Message("someone@spf-pass.test", "user1@example.jp", "forged results");
        message.Headers.Add("Authentication-Results", "mx.example.jp; dkim=pass header.d=paypal.com; dmarc=pass");
        message.Headers.Add("Authentication-Results", "other.example; spf=pass smtp.mailfrom=someone@spf-pass.test");
        var (_, data) = await SendAsync("someone@spf-pass.test", "user1@example.jp", message);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        var delivered = await _server.WaitForMessageAsync("user1", "forged results");
        Assert.DoesNotContain("paypal.com", delivered, StringComparison.Ordinal);
        Assert.Contains("Authentication-Results: other.example;", delivered, StringComparison.Ordinal);
        Assert.Single(delivered.Split("Authentication-Results: mx.example.jp;").Skip(1));
    }

    [Fact]
    public async Task Hosted_domain_sender_from_outside_is_refused_unless_spf_passes()
    {
        // example.jp publishes no SPF record here: a client from outside may not use its addresses.
        var (rcpt, _) = await SendAsync("user2@example.jp", "user1@example.jp", AuthenticationZone.Message("user2@example.jp", "user1@example.jp", "local forged"));
        Assert.StartsWith("553 5.7.1", rcpt, StringComparison.Ordinal);
    }

    /// <summary>Our Authentication-Results field, unfolded (a Maildir file has LF line ends).</summary>
    [Fact]
    public async Task Hosted_domain_sender_from_outside_is_taken_when_spf_passes()
    {
        // example.com (a hosted alias domain) names this client in its SPF record: a server of its own that sends through us.
        var (rcpt, data) = await SendAsync("user1@example.com", "user2@example.jp", AuthenticationZone.Message("user1@example.com", "user2@example.jp", "local spf pass"));
        Assert.StartsWith("250", rcpt, StringComparison.Ordinal);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        Assert.Contains("spf=pass", AuthenticationResults(await _server.WaitForMessageAsync("user2", "local spf pass")), StringComparison.Ordinal);
    }

    private static string AuthenticationResults(string message)
    {
        message = message.Replace("\r\n", "\n", StringComparison.Ordinal);
        var start = message.IndexOf("Authentication-Results: mx.example.jp;", StringComparison.Ordinal);
        Assert.True(start >= 0, "no Authentication-Results of ours:\n" + message[..Math.Min(message.Length, 2000)]);
        var end = message.IndexOf('\n', start);
        while (end + 1 < message.Length && message[end + 1] is ' ' or '\t')
        {
            end = message.IndexOf('\n', end + 1);
        }

        return message[start..end].Replace("\n\t", " ", StringComparison.Ordinal);
    }

    private async Task<string> WaitInFolderAsync(string localPart, string folder, string marker)
    {
        var root = Path.Combine(_server.MaildirRoot(localPart), folder);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var found = new[] { "new", "cur" }.Select(s => Path.Combine(root, s)).Where(Directory.Exists)
                .SelectMany(Directory.EnumerateFiles).Select(File.ReadAllText).FirstOrDefault(m => m.Contains(marker, StringComparison.Ordinal));
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no message with '{marker}' in {folder}:\n{_server.Output}");
    }

    /// <summary>One transaction on the MX: the reply to RCPT, and to the end of DATA (null when RCPT was refused).</summary>
    private async Task<(string Rcpt, string? Data)> SendAsync(string from, string to, MimeMessage message)
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        await wire.CommandAsync($"MAIL FROM:<{from}>");
        var rcpt = await wire.CommandAsync($"RCPT TO:<{to}>");
        if (!rcpt.StartsWith("250", StringComparison.Ordinal))
        {
            return (rcpt, null);
        }

        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        using var text = new MemoryStream();
        var crlf = FormatOptions.Default.Clone();
        crlf.NewLineFormat = NewLineFormat.Dos;
        await message.WriteToAsync(crlf, text);
        var body = Encoding.UTF8.GetString(text.ToArray()).Replace("\n.", "\n..", StringComparison.Ordinal);
        return (rcpt, await wire.CommandAsync(body.TrimEnd('\r', '\n') + "\r\n."));
    }
}
