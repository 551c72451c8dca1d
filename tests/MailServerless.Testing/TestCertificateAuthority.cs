using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailServerless.Testing;

/// <summary>
/// A certificate authority of a test's own, as a private CA or a public one would be to a server that trusts it
/// (<c>Mail:Relay:CaFile</c>): its root, and server certificates it issues for names, written as PEM files.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificateAuthority(string name = "MailServerless Test CA")
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    public X509Certificate2 Root { get; }

    /// <summary>A server certificate for <paramref name="names"/> (the first is also its CN), with its private key.</summary>
    public X509Certificate2 Issue(params string[] names) => Issue(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), names);

    public X509Certificate2 Issue(DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] names)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = ServerRequest(key, names);
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var issued = request.Create(Root, notBefore, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>A server certificate for <paramref name="names"/> that no authority vouches for.</summary>
    public static X509Certificate2 SelfSigned(params string[] names)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ServerRequest(key, names).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>Writes the root as PEM to <paramref name="path"/> (what <c>Mail:Relay:CaFile</c> names).</summary>
    public string WriteRoot(string path)
    {
        File.WriteAllText(path, Root.ExportCertificatePem() + "\n");
        return path;
    }

    /// <summary>Writes the certificate, followed by this authority's root, and its key as PEM files; returns their paths.</summary>
    public (string Certificate, string Key) Write(X509Certificate2 certificate, string directory, string name, bool withChain = true) =>
        WritePem(certificate, directory, name, withChain ? Root : null);

    /// <summary>Writes a certificate (followed by <paramref name="issuer"/>, if any) and its key as PEM files; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string directory, string name, X509Certificate2? issuer = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var certificatePath = Path.Combine(directory, name + ".crt");
        var keyPath = Path.Combine(directory, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n" + (issuer is null ? string.Empty : issuer.ExportCertificatePem() + "\n"));
        File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        return (certificatePath, keyPath);
    }

    private static CertificateRequest ServerRequest(ECDsa key, string[] names)
    {
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request;
    }

    public void Dispose()
    {
        Root.Dispose();
        _key.Dispose();
    }
}
