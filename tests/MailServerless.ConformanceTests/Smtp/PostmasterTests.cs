using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>
/// RFC 5321 §4.5.1: every domain's postmaster takes mail, and <c>RCPT TO:&lt;postmaster&gt;</c> (no domain, §4.1.1.3)
/// is the server's own. Both land in a real mailbox, and nothing is accepted only to bounce (no backscatter).
/// The server's host name is mx.fresh.example, so its own postmaster is postmaster@fresh.example.
/// </summary>
public sealed class PostmasterTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync("--Mail:HostName=mx.fresh.example");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Api()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin@example.jp:{MailServerInstance.Password}")));
        return client;
    }

    private string[] Maildir(string domain, string localPart) =>
        new[] { "new", "cur" }.Select(s => Path.Combine(_server.DataDirectory, "virtual", domain, localPart, s)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFiles).Select(File.ReadAllText).ToArray();

    private async Task WaitForAsync(string domain, string localPart, string marker)
    {
        for (var i = 0; i < 400 && !Maildir(domain, localPart).Any(m => m.Contains(marker, StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(Maildir(domain, localPart), m => m.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outside_mail_to_a_new_domains_postmaster_and_to_the_bare_postmaster_lands_in_its_first_mailbox_without_backscatter()
    {
        using var api = Api();
        // A new domain, no postmaster named: its first mailbox becomes postmaster (and abuse, hostmaster, webmaster).
        Assert.True((await api.PostAsJsonAsync("api/domains", new { domain = "fresh.example" })).IsSuccessStatusCode);
        Assert.True((await api.PostAsJsonAsync("api/domains", new { domain = "empty.example" })).IsSuccessStatusCode);
        var owner = await api.PostAsJsonAsync("api/mailboxes", new { address = "owner@fresh.example", password = "long enough", quota = "10M" });
        Assert.True(owner.IsSuccessStatusCode, await owner.Content.ReadAsStringAsync());

        var marker = Guid.NewGuid().ToString("N")[..12];
        foreach (var (to, subject) in new[]
                 {
                     ("postmaster@fresh.example", $"{marker}-domain"),
                     ("Postmaster", $"{marker}-bare"),            // RCPT TO:<Postmaster>, any case
                     ("postmaster@empty.example", $"{marker}-empty"), // a domain with no one yet: the server's postmaster
                 })
        {
            var sent = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--from", "someone@remote.example",
                "--to", to, "--header", $"Subject: {subject}"]);
            Assert.True(sent.ExitCode == 0, sent.Output);
            Assert.Contains("250 2.1.5", sent.Output, StringComparison.Ordinal);
        }

        await WaitForAsync("fresh.example", "owner", $"{marker}-domain");
        await WaitForAsync("fresh.example", "owner", $"{marker}-bare");
        await WaitForAsync("fresh.example", "owner", $"{marker}-empty");

        // Nothing went back out: no bounce waits in the outbound queue once the inbound one is empty.
        await _server.WaitUntilDeliveredAsync(TimeSpan.FromSeconds(20));
        var outbound = Path.Combine(_server.DataDirectory, "spool", "outbound", "queue");
        Assert.False(Directory.Exists(outbound) && Directory.EnumerateFiles(outbound).Any(), "a bounce was queued");
    }

    [Fact]
    public async Task An_address_whose_expansion_can_only_bounce_is_refused_at_rcpt()
    {
        using var api = Api();
        // PostfixAdmin lets an alias point at a local address that does not exist: accepting it would mean a bounce later.
        Assert.True((await api.PostAsJsonAsync("api/aliases", new { address = "ghostly@example.jp", @goto = new[] { "ghost@example.jp" } })).IsSuccessStatusCode);
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO remote.example");
        await wire.CommandAsync("MAIL FROM:<someone@remote.example>");
        Assert.StartsWith("550 5.1.1", await wire.CommandAsync("RCPT TO:<ghostly@example.jp>"), StringComparison.Ordinal);
        // example.jp's own postmaster is not set up in this directory: refused too, not accepted and bounced.
        Assert.StartsWith("550 5.1.1", await wire.CommandAsync("RCPT TO:<postmaster@example.jp>"), StringComparison.Ordinal);
    }
}
