using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// The server certificate for STARTTLS and implicit TLS: the configured PEM files
/// (<c>Mail:Tls:CertificatePath</c>/<c>KeyPath</c>, e.g. Let's Encrypt), else a self-signed one
/// made on first start in the data directory (<c>tls-cert.pem</c>, <c>tls-key.pem</c> mode 0600).
/// </summary>
public sealed class TlsCertificateProvider
{
    private readonly Lazy<X509Certificate2> _certificate;

    public TlsCertificateProvider(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _certificate = new Lazy<X509Certificate2>(() => Load(options));
    }

    public X509Certificate2 Certificate => _certificate.Value;

    private static X509Certificate2 Load(MailOptions options)
    {
        var certPath = options.Tls.CertificatePath;
        var keyPath = options.Tls.KeyPath;
        if (string.IsNullOrWhiteSpace(certPath))
        {
            certPath = Path.Combine(options.EffectiveDataDirectory, "tls-cert.pem");
            keyPath = Path.Combine(options.EffectiveDataDirectory, "tls-key.pem");
            if (!File.Exists(certPath) || !File.Exists(keyPath))
            {
                Generate(options.EffectiveHostName, certPath, keyPath);
            }
        }

        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certPath, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath);
            // SslStream on Linux wants a certificate whose key is not ephemeral: round-trip through PKCS#12.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new DirectoryConfigurationException(
                $"Mail:Tls:CertificatePath / Mail:Tls:KeyPath: cannot load the certificate from '{certPath}': {e.Message}", e);
        }
    }

    private static void Generate(string hostName, string certPath, string keyPath)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        var secret = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            secret.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(keyPath, System.Text.Encoding.ASCII, secret))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(certPath, certificate.ExportCertificatePem());
    }
}
