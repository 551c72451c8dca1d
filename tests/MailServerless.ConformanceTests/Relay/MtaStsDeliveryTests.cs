using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Relay;

/// <summary>
/// Direct delivery under a recipient domain's MTA-STS policy (RFC 8461), end to end: the <c>_mta-sts</c> TXT record
/// and the MX in a loopback DNS server (dnsmasq), the policy on an HTTPS host (Python's http.server) with a certificate
/// from a test authority the sender trusts (<c>Mail:Relay:CaFile</c>), and a second mail server as the domain's MX.
/// </summary>
public sealed class MtaStsDeliveryTests : IDisposable
{
    /// <summary>What the MX logs when it takes the message over SMTP (its welcome message to the new mailbox is another).</summary>
    private static readonly string Received = RelayScenario.ReceivedOverSmtp("remote.test");

    private const string Enforce = "version: STSv1\nmode: enforce\nmx: mx.remote.test\nmax_age: 86400\n";

    private readonly TestCertificateAuthority _ca = new();
    private readonly string _files = Directory.CreateTempSubdirectory("msl-sts-").FullName;

    [Fact]
    public async Task Under_an_enforce_policy_an_mx_whose_certificate_does_not_verify_gets_nothing_and_the_mail_bounces_when_its_lifetime_is_over()
    {
        await using var policyHost = await PolicyHostAsync(Enforce);
        await using var dns = await DnsAsync();
        await using var mx = await MxAsync(certificate: null); // its own self-signed certificate
        await using var server = await SenderAsync(dns, policyHost, mx, "--Mail:Queue:MaxLifetime=00:00:06");

        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test", "not to an unverified mx");

        var (_, recipient) = await RelayScenario.BounceAsync(server, "user1", "Undelivered Mail Returned to Sender");
        Assert.Equal("4.7.5", recipient["Status"]);
        Assert.Contains("its certificate does not verify (certificate-not-trusted) (required by MTA-STS)", recipient["Diagnostic-Code"], StringComparison.Ordinal);
        await RelayScenario.WaitForLogAsync(server, "mta-sts: remote.test: policy 20261204 mode=Enforce");
        await RelayScenario.WaitForLogAsync(server, "to=<friend@remote.test> relay=mx.remote.test[127.0.0.1]");
        await RelayScenario.WaitForLogAsync(server, "status=deferred");
        await RelayScenario.WaitForLogAsync(server, "\"result-type\":\"certificate-not-trusted\",\"receiving-mx-hostname\":\"mx.remote.test\"");
        await RelayScenario.WaitForLogAsync(server, "\"policy-type\":\"sts\"");
        Assert.False(mx.Output.Contains(Received, StringComparison.Ordinal), mx.Output);
    }

    [Fact]
    public async Task Under_an_enforce_policy_mail_reaches_a_listed_mx_whose_certificate_verifies()
    {
        await using var policyHost = await PolicyHostAsync(Enforce);
        await using var dns = await DnsAsync();
        await using var mx = await MxAsync(_ca.Issue("mx.remote.test"));
        await using var server = await SenderAsync(dns, policyHost, mx);

        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test", "to a verified mx");

        Assert.True(await mx.WaitForOutputAsync(Received) > 0, mx.Output);
        await RelayScenario.WaitForLogAsync(server, "to=<friend@remote.test> relay=mx.remote.test[127.0.0.1]");
        await RelayScenario.WaitForLogAsync(server, "mta-sts: remote.test: policy 20261204 mode=Enforce");
        await RelayScenario.WaitForLogAsync(server, $"relay: Verified TLS connection established to mx.remote.test[127.0.0.1]:{mx.Smtp}: Tls13");
        Assert.DoesNotContain("tls-rpt failure", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_an_enforce_policy_an_mx_the_policy_does_not_list_is_not_even_tried()
    {
        await using var policyHost = await PolicyHostAsync("version: STSv1\nmode: enforce\nmx: *.elsewhere.test\nmax_age: 86400\n");
        await using var dns = await DnsAsync();
        await using var mx = await MxAsync(_ca.Issue("mx.remote.test"));
        await using var server = await SenderAsync(dns, policyHost, mx);

        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test", "not to an unlisted mx");

        await RelayScenario.WaitForLogAsync(server, "status=deferred (MX host mx.remote.test is not allowed by the MTA-STS policy of remote.test)");
        Assert.False(mx.Output.Contains(Received, StringComparison.Ordinal), mx.Output);
    }

    [Fact]
    public async Task A_message_marked_tls_required_no_goes_to_an_unverified_mx_despite_an_enforce_policy()
    {
        await using var policyHost = await PolicyHostAsync(Enforce);
        await using var dns = await DnsAsync();
        await using var mx = await MxAsync(certificate: null);
        await using var server = await SenderAsync(dns, policyHost, mx);

        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test", "policy waived", "TLS-Required: No");

        Assert.True(await mx.WaitForOutputAsync(Received) > 0, mx.Output);
        await RelayScenario.WaitForLogAsync(server, $"relay: Untrusted TLS connection established to mx.remote.test[127.0.0.1]:{mx.Smtp}");
    }

    [Fact]
    public async Task A_testing_policy_reports_the_failure_and_delivers_anyway()
    {
        await using var policyHost = await PolicyHostAsync("version: STSv1\nmode: testing\nmx: mx.remote.test\nmax_age: 86400\n");
        await using var dns = await DnsAsync();
        await using var mx = await MxAsync(certificate: null);
        await using var server = await SenderAsync(dns, policyHost, mx);

        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test", "testing only");

        Assert.True(await mx.WaitForOutputAsync(Received) > 0, mx.Output);
        await RelayScenario.WaitForLogAsync(server, "mta-sts: remote.test: policy 20261204 mode=Testing");
        await RelayScenario.WaitForLogAsync(server, $"relay: Untrusted TLS connection established to mx.remote.test[127.0.0.1]:{mx.Smtp}");
        await RelayScenario.WaitForLogAsync(server, "\"result-type\":\"certificate-not-trusted\",\"receiving-mx-hostname\":\"mx.remote.test\"");
        await RelayScenario.WaitForLogAsync(server, "the MTA-STS policy is in testing mode, so the mail went all the same");
    }

    [Fact]
    public async Task A_policy_host_whose_certificate_does_not_verify_is_reported_and_mail_goes_as_without_a_policy()
    {
        var (certificate, key) = _ca.Write(TestCertificateAuthority.SelfSigned("mta-sts.remote.test"), _files, "policy-self-signed", withChain: false);
        await using var policyHost = await HttpsFileServer.StartAsync(certificate, key);
        policyHost.Put(".well-known/mta-sts.txt", Enforce);
        await using var dns = await DnsAsync();
        await using var mx = await MxAsync(certificate: null);
        await using var server = await SenderAsync(dns, policyHost, mx);

        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test", "policy host unverified");

        Assert.True(await mx.WaitForOutputAsync(Received) > 0, mx.Output);
        await RelayScenario.WaitForLogAsync(server, "\"result-type\":\"sts-webpki-invalid\"");
    }

    private async Task<HttpsFileServer> PolicyHostAsync(string policy)
    {
        var (certificate, key) = _ca.Write(_ca.Issue("mta-sts.remote.test"), _files, "policy-host");
        var host = await HttpsFileServer.StartAsync(certificate, key);
        host.Put(".well-known/mta-sts.txt", policy);
        return host;
    }

    private static Task<LoopbackDns> DnsAsync() => LoopbackDns.StartAsync(
        "--mx-host=remote.test,mx.remote.test,10", "--host-record=mx.remote.test,127.0.0.1", "--host-record=mta-sts.remote.test,127.0.0.1",
        "--txt-record=_mta-sts.remote.test,v=STSv1; id=20261204");

    /// <summary>remote.test's MX, with its own self-signed certificate or <paramref name="certificate"/> from the test authority.</summary>
    private Task<MailServerInstance> MxAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate) =>
        RelayScenario.StartRemoteMxAsync("remote.test", certificate is null ? null : _ca.Write(certificate, _files, "mx"));

    private Task<MailServerInstance> SenderAsync(LoopbackDns dns, HttpsFileServer policyHost, MailServerInstance mx, params string[] settings) =>
        MailServerInstance.StartAsync(
        [
            "--Mail:Relay:Mode=Direct", $"--Mail:Relay:Port={mx.Smtp}", $"--Mail:Dns:Servers={dns.Server}",
            $"--Mail:Relay:CaFile={_ca.WriteRoot(Path.Combine(_files, "ca.pem"))}", $"--Mail:Relay:MtaStsPort={policyHost.Port}", .. settings,
        ]);

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_files, recursive: true);
    }
}
