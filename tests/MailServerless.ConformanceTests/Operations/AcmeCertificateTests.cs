using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// Certificates from pebble, the ACME test CA Let's Encrypt publishes (started by tests/services.sh, its names under
/// example.test resolving to 127.0.0.1): issued through http-01 on Mail:Listeners:AcmeHttp or tls-alpn-01 on the HTTPS
/// listener, served on 993 with pebble's chain (as openssl s_client sees it), renewed without dropping an open IMAP
/// session, revoked with admin certificate revoke (pebble says Revoked) and replaced; a challenge that fails is
/// reported with the CA's reason and the server goes on with the certificate it has. One class: pebble validates on
/// one port of each kind, so these run one at a time.
/// </summary>
public sealed class AcmeCertificateTests
{
    private const string HostName = "mail.example.test";

    private static string Setting(string name) =>
        Environment.GetEnvironmentVariable($"MAILSERVERLESS_TEST_ACME_{name}")
        ?? throw new InvalidOperationException($"MAILSERVERLESS_TEST_ACME_{name} is not set: run the tests with tests/run.sh, which starts pebble");

    private static Task<MailServerInstance> StartAsync(params string[] settings) => MailServerInstance.StartAsync(
    [
        $"--Mail:HostName={HostName}", "--Mail:Tls:Acme:Enabled=true", $"--Mail:Tls:Acme:Directory={Setting("DIRECTORY")}",
        $"--Mail:Tls:Acme:CaFile={Setting("CA")}", "--Mail:Tls:Acme:Email=postmaster@example.test",
        "--Mail:Tls:Acme:CheckInterval=00:00:02", "--Mail:Tls:Acme:RetryAfter=00:00:02", .. settings,
    ]);

    [Fact]
    public async Task A_certificate_issued_through_http_01_is_served_on_993_with_pebbles_chain_and_renewed_without_dropping_a_session()
    {
        // Renewed once less than a year minus 15 s is left: 15 s after it is issued (pebble's are valid a year here).
        await using var server = await StartAsync($"--Mail:Listeners:AcmeHttp={Setting("HTTP_PORT")}", "--Mail:Tls:Acme:RenewBefore=364.23:59:45");
        await WaitForLogAsync(server, $"acme: certificate for {HostName} issued", 1);

        var first = await ServedAsync(server.Imaps);
        Assert.Contains("Pebble Intermediate CA", first.Issuer, StringComparison.Ordinal);
        Assert.Contains(HostName, first.Names);
        var verify = await OpensslAsync(server.Imaps, "-CAfile", await PebbleRootAsync(), "-verify_return_error");
        Assert.True(verify.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal), verify);

        var (certificate, key) = (Path.Combine(server.DataDirectory, "acme", "certificate.pem"), Path.Combine(server.DataDirectory, "acme", "key.pem"));
        foreach (var file in new[] { certificate, key, Path.Combine(server.DataDirectory, "acme", "account-key.pem") })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        var shown = JsonDocument.Parse((await AdminAsync(server, "certificate", "show", "--json")).Output).RootElement;
        Assert.StartsWith("acme", shown.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal(first.Serial, shown.GetProperty("serial").GetString(), StringComparer.OrdinalIgnoreCase);

        // An IMAP session open across the renewal goes on; new connections get the new certificate.
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", server.Imaps, SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync("user1@example.jp", MailServerInstance.Password);
        await WaitForLogAsync(server, $"acme: ordering a certificate for {HostName}", 2);
        await WaitForLogAsync(server, $"acme: certificate for {HostName} issued", 2);
        var renewed = await EventuallyServedAsync(server.Imaps, c => c.Serial != first.Serial);
        Assert.Contains("Pebble Intermediate CA", renewed.Issuer, StringComparison.Ordinal);
        Assert.Contains("expires on", server.Output, StringComparison.Ordinal);
        await imap.NoOpAsync();
        await imap.Inbox!.OpenAsync(MailKit.FolderAccess.ReadOnly);
        await imap.DisconnectAsync(true);
    }

    [Fact]
    public async Task A_certificate_is_issued_through_tls_alpn_01_on_the_https_listener_which_serves_others_the_usual_one()
    {
        await using var server = await StartAsync($"--Mail:Listeners:Https={Setting("TLS_PORT")}");
        await WaitForLogAsync(server, $"acme: certificate for {HostName} issued", 1);

        var served = await ServedAsync(server.Imaps);
        Assert.Contains("Pebble Intermediate CA", served.Issuer, StringComparison.Ordinal);
        // The HTTPS listener, to a client offering http/1.1 (not acme-tls/1), serves the same certificate.
        var https = await ServedAsync(int.Parse(Setting("TLS_PORT"), CultureInfo.InvariantCulture), "-alpn", "http/1.1");
        Assert.Equal(served.Serial, https.Serial);
    }

    [Fact]
    public async Task A_revoked_certificate_is_revoked_at_the_ca_and_replaced_by_a_new_one()
    {
        await using var server = await StartAsync($"--Mail:Listeners:AcmeHttp={Setting("HTTP_PORT")}");
        await WaitForLogAsync(server, $"acme: certificate for {HostName} issued", 1);
        var first = await ServedAsync(server.Imaps);

        var revoked = await AdminAsync(server, "certificate", "revoke", "--reason", "4", "--json");
        Assert.True(revoked.Exit == 0, revoked.Output + revoked.Error);
        Assert.Equal(first.Serial, JsonDocument.Parse(revoked.Output).RootElement.GetProperty("serial").GetString(), StringComparer.OrdinalIgnoreCase);
        var status = await PebbleAsync($"/cert-status-by-serial/{first.Serial.TrimStart('0').ToLowerInvariant()}");
        Assert.Equal("Revoked", JsonDocument.Parse(status).RootElement.GetProperty("Status").GetString());

        await WaitForLogAsync(server, $"acme: certificate for {HostName} issued", 2);
        var replaced = await EventuallyServedAsync(server.Imaps, c => c.Serial != first.Serial && c.Issuer.Contains("Pebble", StringComparison.Ordinal));
        Assert.NotEqual(first.Serial, replaced.Serial);
    }

    [Fact]
    public async Task A_failed_challenge_is_reported_with_the_cas_reason_and_the_server_keeps_its_certificate()
    {
        // nowhere.example has no address in pebble's DNS: its authorization fails, and with it the order.
        await using var server = await StartAsync($"--Mail:Listeners:AcmeHttp={Setting("HTTP_PORT")}", $"--Mail:Tls:Acme:Domains={HostName},nowhere.example");
        await WaitForLogAsync(server, "acme: no certificate for mail.example.test, nowhere.example", 1);
        Assert.Contains("nowhere.example", server.Output[server.Output.IndexOf("acme: no certificate", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Contains("urn:ietf:params:acme:error:", server.Output, StringComparison.Ordinal);
        Assert.Contains("trying again in 00:00:02", server.Output, StringComparison.Ordinal);
        // Tried again, and the next wait doubles.
        await WaitForLogAsync(server, "trying again in 00:00:04", 1);

        var served = await ServedAsync(server.Imaps);
        Assert.DoesNotContain("Pebble", served.Issuer, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server.DataDirectory, "acme", "certificate.pem")));
        var shown = JsonDocument.Parse((await AdminAsync(server, "certificate", "show", "--json")).Output).RootElement;
        Assert.StartsWith("self-signed", shown.GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edges_sharing_a_bucket_serve_the_certificate_one_of_them_ordered()
    {
        using var sqs = AwsEmulator.Options.CreateSqsClient();
        using var s3 = AwsEmulator.Options.CreateS3Client();
        var bucket = await AwsEmulator.CreateBucketAsync(s3, "acme");
        var (inbound, _) = await AwsEmulator.CreateQueueAsync(sqs, "acme-in");
        var (outbound, _) = await AwsEmulator.CreateQueueAsync(sqs, "acme-out");
        string[] shared =
        [
            "--Mail:Queue:Provider=Sqs", $"--Mail:Queue:InboundUrl={inbound}", $"--Mail:Queue:OutboundUrl={outbound}",
            $"--Mail:Blob:Bucket={bucket}", $"--Mail:Aws:ServiceUrl={AwsEmulator.ServiceUrl}",
        ];
        await using var first = await StartAsync([$"--Mail:Listeners:AcmeHttp={Setting("HTTP_PORT")}", .. shared]);
        await WaitForLogAsync(first, $"acme: certificate for {HostName} issued", 1);
        var ordered = await ServedAsync(first.Imaps);

        // The second edge has no way to answer a challenge at all: it serves what the first one shared.
        await using var second = await StartAsync(shared);
        await WaitForLogAsync(second, $"acme: serving the certificate another edge shared for {HostName}", 1);
        Assert.Equal(ordered.Serial, (await ServedAsync(second.Imaps)).Serial);
        Assert.DoesNotContain("acme: ordering", second.Output, StringComparison.Ordinal);
    }

    private static async Task WaitForLogAsync(MailServerInstance server, string text, int times)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Count(server.Output, text) < times)
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{text}' not logged {times} time(s):\n{server.Output}");
            await Task.Delay(200);
        }
    }

    private static int Count(string output, string text)
    {
        var count = 0;
        for (var at = output.IndexOf(text, StringComparison.Ordinal); at >= 0; at = output.IndexOf(text, at + text.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private sealed record Served(string Serial, string Issuer, IReadOnlyList<string> Names);

    /// <summary>The leaf the port serves, as openssl s_client receives it (SNI: the host name).</summary>
    private static async Task<Served> ServedAsync(int port, params string[] extra)
    {
        var output = await OpensslAsync(port, extra);
        var pem = output[output.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)..];
        pem = pem[..(pem.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal) + "-----END CERTIFICATE-----".Length)];
        using var leaf = X509Certificate2.CreateFromPem(pem);
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
        return new Served(leaf.SerialNumber, leaf.Issuer, names);
    }

    private static async Task<Served> EventuallyServedAsync(int port, Func<Served, bool> wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var served = await ServedAsync(port);
            if (wanted(served))
            {
                return served;
            }

            Assert.True(DateTime.UtcNow < deadline, $"still served: {served}");
            await Task.Delay(500);
        }
    }

    private static async Task<string> OpensslAsync(int port, params string[] extra)
    {
        var result = await ProcessRunner.RunAsync("openssl",
            ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", HostName, "-showcerts", .. extra], input: string.Empty,
            timeout: TimeSpan.FromSeconds(30));
        return result.Output + result.Error;
    }

    /// <summary>Pebble's issuing root (new at each start of pebble), from its management interface.</summary>
    private static async Task<string> PebbleRootAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pebble-root-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(path, await PebbleAsync("/roots/0"));
        return path;
    }

    private static async Task<string> PebbleAsync(string path)
    {
        var trust = new X509Certificate2Collection();
        trust.ImportFromPemFile(Setting("CA"));
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trust);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        using var http = new HttpClient(handler);
        return await http.GetStringAsync(new Uri(Setting("MANAGEMENT") + path));
    }

    private static async Task<(int Exit, string Output, string Error)> AdminAsync(MailServerInstance server, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "admin", .. arguments, $"--Mail:DataDirectory={server.DataDirectory}",
            "--Mail:Tls:Acme:Enabled=true", $"--Mail:Tls:Acme:Directory={Setting("DIRECTORY")}", $"--Mail:Tls:Acme:CaFile={Setting("CA")}"]);
        return (result.ExitCode, result.Output, result.Error);
    }
}
