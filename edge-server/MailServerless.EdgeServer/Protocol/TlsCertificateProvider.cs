using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// The server certificate for STARTTLS and implicit TLS: the configured PEM files
/// (<c>Mail:Tls:CertificatePath</c>/<c>KeyPath</c>, e.g. certbot's), or the ACME one (<c>Mail:Tls:Acme</c>) once it is
/// issued, else a self-signed one made on first start in the data directory (<c>tls-cert.pem</c>, <c>tls-key.pem</c>
/// mode 0600). A renewal is picked up at the next handshake; one that cannot be loaded (caught mid-write) leaves the
/// certificate served so far in place until it can.
/// </summary>
public sealed class TlsCertificateProvider
{
    private readonly MailOptions _options;
    private readonly Lock _gate = new();
    private (SslStreamCertificateContext Context, X509Certificate2 Leaf, DateTime CertTime, DateTime KeyTime)? _current;

    public TlsCertificateProvider(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public X509Certificate2 Certificate => Current().Leaf;

    /// <summary><c>Mail:Tls:HandshakeTimeout</c>: the one limit every listener gives a TLS handshake.</summary>
    public TimeSpan HandshakeTimeout => _options.Tls.HandshakeTimeout;

    /// <summary>
    /// The certificate with its chain (the intermediates of a fullchain PEM), reloaded when the
    /// files change, so a renewed certificate (Let's Encrypt) is used without a restart.
    /// </summary>
    public SslStreamCertificateContext Context => Current().Context;

    /// <summary>Reads the files again now, whatever their times say (SIGHUP); a pair that cannot be loaded leaves the one served.</summary>
    /// <exception cref="DirectoryConfigurationException">The files cannot be loaded.</exception>
    public X509Certificate2 Reload()
    {
        var (certPath, keyPath) = Paths();
        var loaded = Load(certPath, keyPath);
        lock (_gate)
        {
            _current = loaded;
        }

        return loaded.Item2;
    }

    private (SslStreamCertificateContext Context, X509Certificate2 Leaf, DateTime CertTime, DateTime KeyTime) Current()
    {
        var (certPath, keyPath) = Paths();
        lock (_gate)
        {
            if (_current is { } loaded && File.GetLastWriteTimeUtc(certPath) == loaded.CertTime &&
                File.GetLastWriteTimeUtc(keyPath) == loaded.KeyTime)
            {
                return loaded;
            }

            try
            {
                _current = Load(certPath, keyPath);
            }
            catch (DirectoryConfigurationException) when (_current is not null)
            {
                // A pair being replaced (the key written, the chain not yet): the last good one, until the next handshake.
                return _current.Value;
            }

            return _current.Value;
        }
    }

    private (string Cert, string Key) Paths()
    {
        if (!string.IsNullOrWhiteSpace(_options.Tls.CertificatePath))
        {
            var key = string.IsNullOrWhiteSpace(_options.Tls.KeyPath) ? _options.Tls.CertificatePath : _options.Tls.KeyPath;
            return (_options.Tls.CertificatePath, key);
        }

        if (_options.Tls.Acme.Enabled)
        {
            var (acmeCertificate, acmeKey) = Acme.AcmeCertificates.Files(_options);
            if (File.Exists(acmeCertificate) && File.Exists(acmeKey))
            {
                return (acmeCertificate, acmeKey);
            }
        }

        var certPath = Path.Combine(_options.EffectiveDataDirectory, "tls-cert.pem");
        var keyPath = Path.Combine(_options.EffectiveDataDirectory, "tls-key.pem");
        if (!File.Exists(certPath) || !File.Exists(keyPath))
        {
            Generate(_options.EffectiveHostName, certPath, keyPath);
        }

        return (certPath, keyPath);
    }

    private static (SslStreamCertificateContext, X509Certificate2, DateTime, DateTime) Load(string certPath, string keyPath)
    {
        try
        {
            var certTime = File.GetLastWriteTimeUtc(certPath);
            var keyTime = File.GetLastWriteTimeUtc(keyPath);
            using var pem = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            // SslStream on Linux wants a certificate whose key is not ephemeral: round-trip through PKCS#12.
            var leaf = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            var chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(certPath);
            var intermediates = new X509Certificate2Collection(chain.Where(c => c.Thumbprint != leaf.Thumbprint).ToArray());
            var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
            return (context, leaf, certTime, keyTime);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
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
