using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailServerless.EdgeServer.Acme;

/// <summary>What a challenge response is made of: key authorizations (RFC 8555 §8.1) and the tls-alpn-01 certificate (RFC 8737).</summary>
public static class AcmeChallenges
{
    public const string Http01 = "http-01";

    public const string TlsAlpn01 = "tls-alpn-01";

    /// <summary>RFC 8555 §8.3: the path is this plus the token.</summary>
    public const string Http01PathPrefix = "/.well-known/acme-challenge/";

    /// <summary>RFC 8737 §6.2: the only ALPN protocol a validating client offers, and the one to select.</summary>
    public const string AlpnProtocol = "acme-tls/1";

    /// <summary>RFC 8737 §6.1: id-pe-acmeIdentifier.</summary>
    public const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

    // The subject is not checked (§3 names only the subjectAltName and the extension): a fixed, harmless one.
    private const string AlpnSubject = "CN=ACME tls-alpn-01 challenge";

    /// <summary>RFC 8555 §8.1: token "." base64url(JWK thumbprint of the account key, RFC 7638).</summary>
    public static string KeyAuthorization(string token, string thumbprint)
    {
        // §8.1/§8.3: a token is base64url only; anything else could break out of the path or the file.
        if (string.IsNullOrEmpty(token) || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new AcmeException($"the server sent an unusable challenge token '{token}'");
        }

        return $"{token}.{thumbprint}";
    }

    /// <summary>
    /// RFC 8737 §3: a self-signed certificate whose only subjectAltName is <paramref name="name"/> and whose critical
    /// acmeIdentifier extension holds SHA-256 of the key authorization as a DER OCTET STRING (§6.1,
    /// <c>Authorization ::= OCTET STRING (SIZE (32))</c>). Its key is a fresh P-256 one; it is loaded from PKCS#12
    /// so SslStream can present it on every platform.
    /// </summary>
    public static X509Certificate2 TlsAlpn01Certificate(string name, string keyAuthorization)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(keyAuthorization);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(AlpnSubject), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        var value = new AsnWriter(AsnEncodingRules.DER);
        value.WriteOctetString(SHA256.HashData(Encoding.UTF8.GetBytes(keyAuthorization)));
        request.CertificateExtensions.Add(new X509Extension(AcmeIdentifierOid, value.Encode(), critical: true));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
