using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailServerless.Testing;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace MailServerless.ConformanceTests.Relay;

/// <summary>What the outbound tests share: submitting with swaks, the admin API's DKIM record, reading dumps and bounces.</summary>
internal static class RelayScenario
{
    /// <summary>Submits on 587 with STARTTLS and AUTH as <paramref name="user"/>, as a mail client would.</summary>
    public static async Task SubmitAsync(MailServerInstance server, string user, string to, string subject, params string[] headers)
    {
        var arguments = new List<string>
        {
            "--server", $"127.0.0.1:{server.Submission}", "--tls", "--auth", "PLAIN", "--auth-user", $"{user}@example.jp",
            "--auth-password", MailServerInstance.Password, "--from", $"{user}@example.jp", "--to", to,
            "--header", $"Subject: {subject}", "--body", "Hello from the submission port.\n",
        };
        foreach (var header in headers)
        {
            arguments.AddRange(["--add-header", header]);
        }

        var result = await ProcessRunner.RunAsync("swaks", arguments);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
    }

    /// <summary>Waits for a line in the server's log (a sink may have the message a moment before the server logs it).</summary>
    public static async Task WaitForLogAsync(MailServerInstance server, string text) =>
        Assert.True(await server.WaitForOutputAsync(text) > 0, $"'{text}' not in the log:\n{server.Output}");

    /// <summary>The admin API, as <paramref name="user"/> (the superadmin by default).</summary>
    public static HttpClient AdminApi(MailServerInstance server, string user = "admin@example.jp")
    {
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Http}/") };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{MailServerInstance.Password}")));
        return api;
    }

    /// <summary>
    /// Another organisation's MX for <paramref name="domain"/> (host name <c>mx.{domain}</c>): a second mail server that
    /// takes mail for friend@{domain}, with its own self-signed certificate or the PEM files given.
    /// </summary>
    public static async Task<MailServerInstance> StartRemoteMxAsync(string domain, (string Certificate, string Key)? tls)
    {
        string[] certificate = tls is { } files ? [$"--Mail:Tls:CertificatePath={files.Certificate}", $"--Mail:Tls:KeyPath={files.Key}"] : [];
        // The test server hosts example.jp as the sender does; here it stands for someone else's, which takes mail from example.jp.
        var mx = await MailServerInstance.StartAsync([$"--Mail:HostName=mx.{domain}", "--Mail:Smtp:RejectUnauthenticatedLocalSender=false", .. certificate]);
        using var api = AdminApi(mx);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await api.PostAsJsonAsync("api/domains", new { domain })).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Created,
            (await api.PostAsJsonAsync("api/mailboxes", new { address = $"friend@{domain}", password = "friend's password", quota = "10M" })).StatusCode);
        return mx;
    }

    /// <summary>What a remote MX started by <see cref="StartRemoteMxAsync"/> logs when it takes user1's message to friend@<paramref name="domain"/> over SMTP.</summary>
    public static string ReceivedOverSmtp(string domain) => $"from=<user1@example.jp> to=<friend@{domain}> size=";

    /// <summary>The DKIM TXT record the admin API tells the domain's owner to publish.</summary>
    public static async Task<(string Name, string Value)> DkimRecordAsync(MailServerInstance server, string domain = "example.jp")
    {
        using var api = AdminApi(server);
        var record = await api.GetFromJsonAsync<JsonElement>($"api/domains/{domain}/dkim");
        return (record.GetProperty("name").GetString()!, record.GetProperty("value").GetString()!);
    }

    /// <summary>Parses a sink dump (smtp-sink's X- lines, then the message as it arrived).</summary>
    public static MimeMessage Parse(string dump) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(dump)));

    /// <summary>Checks every DKIM signature of the message against the published record; true when one verifies.</summary>
    public static async Task<bool> DkimVerifiesAsync(MimeMessage message, string publishedName, string txt)
    {
        var verifier = new DkimVerifier(new PublishedKey(publishedName, txt));
        var signatures = message.Headers.Where(h => h.Id == HeaderId.DkimSignature).ToList();
        Assert.NotEmpty(signatures);
        foreach (var signature in signatures)
        {
            if (await verifier.VerifyAsync(message, signature))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The key as a receiver finds it in DNS, under <c>selector._domainkey.domain</c> only.</summary>
    private sealed class PublishedKey(string name, string txt) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            string.Equals($"{selector}._domainkey.{domain}", name, StringComparison.OrdinalIgnoreCase)
                ? GetPublicKey(txt)
                : throw new InvalidOperationException($"no DKIM record at {selector}._domainkey.{domain}");

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }

    /// <summary>The bounce in the sender's Maildir, read as a delivery status notification (RFC 3464).</summary>
    public static async Task<(MultipartReport Report, HeaderList Recipient)> BounceAsync(MailServerInstance server, string localPart, string marker)
    {
        var text = await server.WaitForMessageAsync(localPart, marker);
        var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        Assert.Equal("auto-replied", message.Headers["Auto-Submitted"]);
        return (report, status.StatusGroups[1]);
    }
}
