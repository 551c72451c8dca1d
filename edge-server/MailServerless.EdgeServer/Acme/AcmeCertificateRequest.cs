using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// The CSR sent to finalize an order (RFC 8555 §7.4, PKCS#10 RFC 2986): every name in a subjectAltName extension
/// request, the first also as the common name when it fits (64 characters, RFC 5280 ub-common-name).
/// </summary>
public static class AcmeCertificateRequest
{
    /// <summary>The DER CSR for <paramref name="names"/>, signed by <paramref name="key"/> (ECDSA P-256/P-384 or RSA >= 2048).</summary>
    public static byte[] Create(IReadOnlyList<string> names, AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(key);
        if (names.Count == 0)
        {
            throw new ArgumentException("at least one name is needed", nameof(names));
        }

        var subject = new X500DistinguishedNameBuilder();
        if (names[0].Length <= 64)
        {
            subject.AddCommonName(names[0]);
        }

        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject.Build(), ec, ec.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
            RSA { KeySize: >= 2048 } rsa => new CertificateRequest(subject.Build(), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("the certificate key must be ECDSA or RSA of at least 2048 bits", nameof(key)),
        };
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        return request.CreateSigningRequest();
    }
}
