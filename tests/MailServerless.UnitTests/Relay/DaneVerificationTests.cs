using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailServerless.Core.Dns;
using MailServerless.Functions.Outbound.Security;
using MailServerless.Testing;

namespace MailServerless.UnitTests.Relay;

/// <summary>
/// An SMTP server's certificate against its TLSA records (RFC 7672 §3) and against certificate authorities of our own
/// (<c>Mail:Relay:CaFile</c>).
/// </summary>
public sealed class DaneVerificationTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = new();

    private static Tlsa Record(byte usage, byte selector, byte matching, X509Certificate2 certificate)
    {
        var selected = selector == 0 ? certificate.RawData : certificate.PublicKey.ExportSubjectPublicKeyInfo();
        return new Tlsa(usage, selector, matching, matching switch { 0 => selected, 1 => SHA256.HashData(selected), _ => SHA512.HashData(selected) });
    }

    /// <summary>The chain a TLS layer builds from what the server sent: its certificate and the CA's.</summary>
    private X509Chain Sent(X509Certificate2 leaf)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.Add(_ca.Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(leaf);
        return chain;
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    public void Dane_ee_matches_the_servers_own_certificate_whatever_its_name_or_issuer(byte selector, byte matching)
    {
        using var leaf = TestCertificateAuthority.SelfSigned("some.other.name");
        Assert.True(DaneVerification.Verifies([Record(3, selector, matching, leaf)], leaf, null, "mx.example.com"));
    }

    [Fact]
    public void Dane_ee_for_another_key_does_not_match()
    {
        using var leaf = TestCertificateAuthority.SelfSigned("mx.example.com");
        using var other = TestCertificateAuthority.SelfSigned("mx.example.com");
        Assert.False(DaneVerification.Verifies([Record(3, 1, 1, other)], leaf, null, "mx.example.com"));
    }

    [Fact]
    public void Dane_ta_matches_the_authority_the_server_sends_when_its_certificate_names_the_mx()
    {
        using var leaf = _ca.Issue("mx.example.com");
        using var chain = Sent(leaf);
        Tlsa[] records = [Record(2, 0, 1, _ca.Root)];
        Assert.True(DaneVerification.Verifies(records, leaf, chain, "mx.example.com"));
        Assert.False(DaneVerification.Verifies(records, leaf, chain, "mx.other.example"));
    }

    [Fact]
    public void Dane_ta_may_name_an_intermediate_the_server_sends()
    {
        // root -> intermediate -> leaf; the record names the intermediate, which the server sends with its certificate.
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Issuing CA", intermediateKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var issued = request.Create(_ca.Root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4]);
        using var intermediate = issued.CopyWithPrivateKey(intermediateKey);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=mx.example.com", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mx.example.com");
        leafRequest.CertificateExtensions.Add(san.Build());
        using var leaf = leafRequest.Create(intermediate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), [5, 6, 7, 8]);
        using var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.Add(intermediate); // the root is not sent
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(leaf);

        Assert.True(DaneVerification.Verifies([Record(2, 1, 1, intermediate)], leaf, chain, "mx.example.com"));
        using var other = TestCertificateAuthority.SelfSigned("Other CA");
        Assert.False(DaneVerification.Verifies([Record(2, 1, 1, other)], leaf, chain, "mx.example.com"));
    }

    [Fact]
    public void Dane_ta_does_not_match_the_servers_own_certificate_standing_alone()
    {
        using var leaf = TestCertificateAuthority.SelfSigned("mx.example.com");
        Assert.False(DaneVerification.Verifies([Record(2, 0, 1, leaf)], leaf, null, "mx.example.com"));
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 3)]
    public void Pkix_usages_and_unknown_selectors_or_digests_are_not_usable(byte usage, byte selector, byte matching)
    {
        using var leaf = TestCertificateAuthority.SelfSigned("mx.example.com");
        var record = new Tlsa(usage, selector, matching, SHA256.HashData(leaf.PublicKey.ExportSubjectPublicKeyInfo()));
        Assert.False(DaneVerification.IsUsable(record));
        Assert.False(DaneVerification.Verifies([record], leaf, null, "mx.example.com"));
    }

    [Fact]
    public void A_certificate_from_our_own_authority_verifies_only_with_the_ca_file()
    {
        using var leaf = _ca.Issue("mx.example.com");
        using var chain = Sent(leaf);
        var path = Path.Combine(Path.GetTempPath(), $"ca-{Guid.NewGuid():N}.pem");
        try
        {
            _ca.WriteRoot(path);
            Assert.Null(new CertificateTrust(path).Problem(leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors));
            Assert.Equal("certificate-not-trusted", new CertificateTrust(null).Problem(leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors));
            Assert.Equal("certificate-host-mismatch", new CertificateTrust(path).Problem(
                leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_self_signed_certificate_is_not_trusted_even_with_a_ca_file()
    {
        using var leaf = TestCertificateAuthority.SelfSigned("mx.example.com");
        using var chain = new X509Chain();
        chain.Build(leaf);
        var path = Path.Combine(Path.GetTempPath(), $"ca-{Guid.NewGuid():N}.pem");
        try
        {
            _ca.WriteRoot(path);
            Assert.Equal("certificate-not-trusted", new CertificateTrust(path).Problem(leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors));
        }
        finally
        {
            File.Delete(path);
        }
    }

    public void Dispose() => _ca.Dispose();
}
