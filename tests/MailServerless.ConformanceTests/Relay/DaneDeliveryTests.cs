using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Relay;

/// <summary>
/// Direct delivery to an MX with DANE TLSA records (RFC 7672), end to end: the zone is signed with ldns and served by
/// NSD, dnsmasq validates it (the AD bit), and a second mail server is the MX, with a self-signed certificate that only
/// its TLSA record vouches for.
/// </summary>
public sealed class DaneDeliveryTests : IDisposable
{
    private static readonly string Received = RelayScenario.ReceivedOverSmtp("dane.test");

    private readonly string _files = Directory.CreateTempSubdirectory("msl-dane-").FullName;
    private readonly X509Certificate2 _certificate = TestCertificateAuthority.SelfSigned("mx.dane.test");

    [Fact]
    public async Task An_mx_whose_certificate_matches_its_signed_tlsa_record_gets_the_mail_though_no_authority_vouches_for_it()
    {
        await using var dns = await ZoneAsync(Spki(_certificate));
        await using var mx = await MxAsync();
        await using var server = await SenderAsync(dns, mx);

        await RelayScenario.SubmitAsync(server, "user1", "friend@dane.test", "dane match");

        Assert.True(await mx.WaitForOutputAsync(Received) > 0, mx.Output);
        await RelayScenario.WaitForLogAsync(server, "to=<friend@dane.test> relay=mx.dane.test[127.0.0.1]");
        await RelayScenario.WaitForLogAsync(server, $"relay: Verified TLS connection established to mx.dane.test[127.0.0.1]:{mx.Smtp}: Tls13");
        Assert.DoesNotContain("tls-rpt failure", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tlsa_mismatch_is_refused_the_mail_waits_and_bounces_when_its_lifetime_is_over()
    {
        using var other = TestCertificateAuthority.SelfSigned("mx.dane.test");
        await using var dns = await ZoneAsync(Spki(other));
        await using var mx = await MxAsync();
        await using var server = await SenderAsync(dns, mx, "--Mail:Queue:MaxLifetime=00:00:06");

        await RelayScenario.SubmitAsync(server, "user1", "friend@dane.test", "dane mismatch");

        var (_, recipient) = await RelayScenario.BounceAsync(server, "user1", "Undelivered Mail Returned to Sender");
        Assert.Equal("4.7.5", recipient["Status"]);
        Assert.Contains("no TLSA record of mx.dane.test matches its certificate (DANE)", recipient["Diagnostic-Code"], StringComparison.Ordinal);
        await RelayScenario.WaitForLogAsync(server, "\"policy-type\":\"tlsa\"");
        Assert.False(mx.Output.Contains(Received, StringComparison.Ordinal), mx.Output);
    }

    [Fact]
    public async Task A_tlsa_record_that_fails_validation_keeps_the_mail_from_that_mx()
    {
        // The TLSA record is changed after signing: the resolver answers SERVFAIL for it (bogus), which may hide a record
        // that would be required, so the host is not tried at all (RFC 7672 §2.2).
        await using var dns = await ZoneAsync(Spki(_certificate), tampered: "_25._tcp.mx");
        await using var mx = await MxAsync();
        await using var server = await SenderAsync(dns, mx);

        await RelayScenario.SubmitAsync(server, "user1", "friend@dane.test", "dane bogus");

        await RelayScenario.WaitForLogAsync(server, "status=deferred (TLSA lookup error for mx.dane.test:25)");
        Assert.False(mx.Output.Contains(Received, StringComparison.Ordinal), mx.Output);
    }

    private static string Spki(X509Certificate2 certificate) => Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    private static Task<SignedZoneDns> ZoneAsync(string tlsaSha256, params string[] tampered) => SignedZoneDns.StartAsync(
        "dane.test", ["@ IN MX 10 mx.dane.test.", "mx IN A 127.0.0.1", $"_25._tcp.mx IN TLSA 3 1 1 {tlsaSha256}"], tampered);

    private Task<MailServerInstance> MxAsync() =>
        RelayScenario.StartRemoteMxAsync("dane.test", TestCertificateAuthority.WritePem(_certificate, _files, "mx"));

    private static Task<MailServerInstance> SenderAsync(SignedZoneDns dns, MailServerInstance mx, params string[] settings) =>
        MailServerInstance.StartAsync(["--Mail:Relay:Mode=Direct", $"--Mail:Relay:Port={mx.Smtp}", $"--Mail:Dns:Servers={dns.Server}", .. settings]);

    public void Dispose()
    {
        _certificate.Dispose();
        Directory.Delete(_files, recursive: true);
    }
}
