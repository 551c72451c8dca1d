using System.Net.Http.Json;
using MailServerless.ConformanceTests.Relay;
using MailServerless.Testing;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace MailServerless.ConformanceTests.Authentication;

/// <summary>
/// ARC (RFC 8617): a forward of mail from outside leaves sealed with the forwarding domain's key, carrying the
/// MX's checks, and the seal verifies with MimeKit's ArcVerifier against the record the admin API publishes;
/// an ARC-sealed message arriving at the MX is verified and reported.
/// </summary>
public sealed class ArcTests
{
    [Fact]
    public async Task Forward_of_outside_mail_is_sealed_and_the_seal_verifies()
    {
        await using var zone = await AuthenticationZone.StartAsync();
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await MailServerInstance.StartAsync(
            [.. zone.Settings, "--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={sink.Port}", "--Mail:Relay:RequireTls=false"]);
        using (var api = RelayScenario.AdminApi(server))
        {
            var created = await api.PostAsJsonAsync("api/aliases", new { address = "fwd@example.jp", @goto = new[] { "friend@outside.example" } });
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        var message = zone.SignedMessage("ceo@signed.test", "fwd@example.jp", "arc forward");
        var result = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "bounce@spf-pass.test",
            "--to", "fwd@example.jp", "--data", "-"], input: Crlf(message));
        Assert.True(result.ExitCode == 0, result.Output);

        var forwarded = RelayScenario.Parse(await sink.WaitForMessageAsync("arc forward"));
        Assert.Contains(forwarded.Headers, h => h.Id == HeaderId.ArcSeal);
        var aar = forwarded.Headers[HeaderId.ArcAuthenticationResults] ?? string.Empty;
        Assert.Contains("i=1; mx.example.jp;", aar.Replace("\r\n", string.Empty, StringComparison.Ordinal).Replace("\t", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("dkim=pass", aar, StringComparison.Ordinal);
        Assert.Contains("spf=pass", aar, StringComparison.Ordinal);

        var (name, value) = await RelayScenario.DkimRecordAsync(server);
        var verifier = new ArcVerifier(new PublishedKeys(new Dictionary<string, string>
        {
            [name] = value,
            ["sel._domainkey.signed.test"] = "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(zone.Rsa.ExportSubjectPublicKeyInfo()),
        }));
        var validation = await verifier.VerifyAsync(forwarded);
        Assert.Equal(ArcSignatureValidationResult.Pass, validation.Chain);
    }

    [Fact]
    public async Task Arc_sealed_message_arriving_at_the_mx_is_verified_and_reported()
    {
        await using var zone = await AuthenticationZone.StartAsync();
        await using var server = await MailServerInstance.StartAsync(zone.Settings);
        var message = zone.SignedMessage("ceo@signed.test", "user1@example.jp", "arc inbound");
        var sealer = new TestSealer(zone);
        await sealer.SignAsync(message, [HeaderId.From, HeaderId.Subject, HeaderId.Date, HeaderId.To, HeaderId.MessageId, HeaderId.DkimSignature]);

        var result = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "bounce@spf-pass.test",
            "--to", "user1@example.jp", "--data", "-"], input: Crlf(message));
        Assert.True(result.ExitCode == 0, result.Output);
        var delivered = await server.WaitForMessageAsync("user1", "arc inbound");
        Assert.Contains("arc=pass", delivered, StringComparison.Ordinal);
    }

    private static string Crlf(MimeMessage message)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A forwarder at signed.test sealing with the zone's published key.</summary>
    private sealed class TestSealer(AuthenticationZone zone) : ArcSigner(
        Org.BouncyCastle.Security.DotNetUtilities.GetRsaKeyPair(zone.Rsa).Private, "signed.test", "sel", DkimSignatureAlgorithm.RsaSha256)
    {
        protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken)
        {
            var results = new AuthenticationResults("forwarder.signed.test");
            results.Results.Add(new AuthenticationMethodResult("dkim", "pass"));
            results.Results.Add(new AuthenticationMethodResult("arc", "none"));
            return results;
        }

        protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(GenerateArcAuthenticationResults(options, message, cancellationToken));
    }

    /// <summary>Keys as a receiver finds them in DNS, by <c>selector._domainkey.domain</c>.</summary>
    private sealed class PublishedKeys(Dictionary<string, string> records) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            records.TryGetValue($"{selector}._domainkey.{domain}", out var txt)
                ? GetPublicKey(txt)
                : throw new InvalidOperationException($"no record at {selector}._domainkey.{domain}");

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
