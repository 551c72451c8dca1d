using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MailServerless.Functions.Outbound;

namespace MailServerless.UnitTests.Relay;

/// <summary>TLS failures with a next hop, named and written as RFC 8460's failure details.</summary>
public sealed class TlsFailureReportTests
{
    [Theory]
    [InlineData(SslPolicyErrors.RemoteCertificateChainErrors, X509ChainStatusFlags.UntrustedRoot, "certificate-not-trusted")]
    [InlineData(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch, X509ChainStatusFlags.PartialChain, "certificate-not-trusted")]
    [InlineData(SslPolicyErrors.RemoteCertificateChainErrors, X509ChainStatusFlags.NotTimeValid, "certificate-expired")]
    [InlineData(SslPolicyErrors.RemoteCertificateNameMismatch, X509ChainStatusFlags.NoError, "certificate-host-mismatch")]
    [InlineData(SslPolicyErrors.RemoteCertificateNotAvailable, X509ChainStatusFlags.NoError, "validation-failure")]
    [InlineData(SslPolicyErrors.None, X509ChainStatusFlags.NoError, null)]
    public void Certificate_problems_get_the_report_result_types(SslPolicyErrors errors, X509ChainStatusFlags chain, string? expected) =>
        Assert.Equal(expected, TlsFailureReport.CertificateResultType(errors, chain));

    [Fact]
    public void A_failure_is_written_with_the_field_names_of_a_tls_report()
    {
        var json = new TlsFailureReport("starttls-not-supported", "mx.remote.example", "192.0.2.7", "remote.example", "TLS is required").ToJson();
        using var parsed = JsonDocument.Parse(json);
        var root = parsed.RootElement;
        Assert.Equal("starttls-not-supported", root.GetProperty("result-type").GetString());
        Assert.Equal("mx.remote.example", root.GetProperty("receiving-mx-hostname").GetString());
        Assert.Equal("192.0.2.7", root.GetProperty("receiving-ip").GetString());
        Assert.Equal("remote.example", root.GetProperty("policy-domain").GetString());
        Assert.Equal("no-policy-found", root.GetProperty("policy-type").GetString());
        Assert.Equal(1, root.GetProperty("failed-session-count").GetInt32());
    }
}
