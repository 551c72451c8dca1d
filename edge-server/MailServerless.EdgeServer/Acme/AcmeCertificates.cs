using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Functions.Outbound.Security;

namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// Keeps the server's certificate from an ACME CA (<c>Mail:Tls:Acme</c>): ordered at start when there is none, for
/// other names than those set, or with less than <c>RenewBefore</c> left; looked at every <c>CheckInterval</c>; after
/// a failure tried again after <c>RetryAfter</c>, doubling up to a day (a CA's rate limits count failures). The
/// account key, the certificate's key and its chain are PEM files in <c>&lt;DataDirectory&gt;/acme/</c> at 0600;
/// <see cref="Protocol.TlsCertificateProvider"/> serves them and picks up a renewal at the next handshake, without
/// dropping a connection. With a shared blob store (S3, the scaled-out form) the certificate is put there too, and an
/// edge that finds a newer one there serves it instead of ordering its own.
/// </summary>
public sealed partial class AcmeCertificates(
    MailOptions options, AcmeChallengeStore challenges, IBlobStore? shared, TimeProvider clock, ILogger<AcmeCertificates> logger) : BackgroundService
{
    /// <summary>The chain and its key in one object, so an edge never reads one edge's key with another's chain.</summary>
    private const string Shared = "acme-certificate.pem";
    private static readonly TimeSpan MaxRetry = TimeSpan.FromDays(1);

    private CancellationTokenSource? _wake;

    private AcmeOptions Acme => options.Tls.Acme;

    /// <summary>Looks at the certificate now rather than at the next check (SIGHUP).</summary>
    public void CheckNow()
    {
        try
        {
            _wake?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Between two waits: the next check comes anyway.
        }
    }

    /// <summary>Where the certificate (full chain) and its key are kept.</summary>
    public static (string Certificate, string Key) Files(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folder = Path.Combine(options.EffectiveDataDirectory, "acme");
        return (Path.Combine(folder, "certificate.pem"), Path.Combine(folder, "key.pem"));
    }

    public static string AccountKeyFile(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.EffectiveDataDirectory, "acme", "account-key.pem");
    }

    /// <summary>The names the certificate is for: <c>Mail:Tls:Acme:Domains</c>, or the host name.</summary>
    public static IReadOnlyList<string> Names(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var names = options.Tls.Acme.Domains.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        return names.Count > 0 ? names : [options.EffectiveHostName.ToLowerInvariant()];
    }

    /// <summary>An HTTP client for the CA: its HTTPS checked against the system's roots and <c>Mail:Tls:Acme:CaFile</c>.</summary>
    public static HttpClient CreateHttpClient(AcmeOptions acme)
    {
        ArgumentNullException.ThrowIfNull(acme);
        var trust = new CertificateTrust(acme.CaFile);
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, chain, errors) => trust.Problem(certificate, chain, errors) is null },
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(1) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("MailServerless-ACME/1.0");
        return http;
    }

    /// <summary>The account key, made (P-256) and kept at 0600 on first use.</summary>
    public static ECDsa AccountKey(MailOptions options)
    {
        var path = AccountKeyFile(options);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }

        WritePrivate(path, key.ExportPkcs8PrivateKeyPem());
        return key;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Acme.Enabled)
        {
            return;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await EnsureAsync(stoppingToken);
                failures = 0;
                wait = Acme.CheckInterval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is AcmeException or HttpRequestException or IOException or CryptographicException
                                           or UnauthorizedAccessException or OperationCanceledException or UriFormatException)
            {
                failures++;
                wait = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, Acme.RetryAfter.Ticks * (1L << Math.Min(failures - 1, 20))));
                LogFailed(string.Join(", ", Names(options)), e.Message, wait);
            }

            try
            {
                // In steps of at most a minute: a certificate removed meanwhile (admin certificate revoke) is ordered again at once.
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                _wake = wake;
                var until = clock.GetUtcNow() + wait;
                // Only a certificate that was there and went away cuts the wait short; none at all (a failed first
                // order) waits its backoff, or the CA's rate limits would count every retry.
                var had = File.Exists(Files(options).Certificate);
                while (clock.GetUtcNow() < until && (!had || File.Exists(Files(options).Certificate)))
                {
                    var step = until - clock.GetUtcNow();
                    await Task.Delay(step < TimeSpan.FromMinutes(1) ? step : TimeSpan.FromMinutes(1), clock, wake.Token);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // Woken (CheckNow): look now.
            }
            finally
            {
                _wake = null;
            }
        }
    }

    /// <summary>Orders a certificate when the one kept will not do; shares it, or takes a newer shared one.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var names = Names(options);
        var (certificatePath, keyPath) = Files(options);
        await AdoptSharedAsync(names, certificatePath, keyPath, cancellationToken);
        var reason = Inadequacy(certificatePath, names);
        if (reason is null)
        {
            await ShareAsync(certificatePath, keyPath, onlyIfMissing: true, cancellationToken);
            return;
        }

        LogOrdering(string.Join(", ", names), reason, Acme.Directory);
        using var accountKey = AccountKey(options);
        using var http = CreateHttpClient(Acme);
        var client = new AcmeClient(http, new Uri(Acme.Directory), accountKey);
        await client.EnsureAccountAsync(Acme.Email, cancellationToken);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var chain = await client.OrderCertificateAsync(names, key, challenges, cancellationToken);
        Install(certificatePath, keyPath, chain, key.ExportPkcs8PrivateKeyPem());
        await ShareAsync(certificatePath, keyPath, onlyIfMissing: false, cancellationToken);
        using var issued = X509Certificate2.CreateFromPem(chain);
        LogIssued(string.Join(", ", names), issued.SerialNumber, issued.NotAfter.ToUniversalTime(), issued.Issuer);
    }

    /// <summary>Why the kept certificate will not do (none, other names, expiring); null when it will.</summary>
    private string? Inadequacy(string certificatePath, IReadOnlyList<string> names)
    {
        if (!File.Exists(certificatePath))
        {
            return "there is none yet";
        }

        using var current = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        var has = DnsNames(current);
        if (!names.All(has.Contains))
        {
            return $"it is for {string.Join(", ", has)}";
        }

        var left = new DateTimeOffset(current.NotAfter.ToUniversalTime()) - clock.GetUtcNow();
        return left < Acme.RenewBefore ? $"it expires on {current.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC" : null;
    }

    private static HashSet<string> DnsNames(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())
            .Select(n => n.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

    /// <summary>Key first, then the chain, each written whole and renamed into place: the reader reloads when the chain changes.</summary>
    private static void Install(string certificatePath, string keyPath, string chain, string key)
    {
        WritePrivate(keyPath, key);
        WritePrivate(certificatePath, chain);
    }

    private static void WritePrivate(string path, string text) => Core.Storage.SecretFile.Write(path, text);

    private async Task ShareAsync(string certificatePath, string keyPath, bool onlyIfMissing, CancellationToken cancellationToken)
    {
        if (shared is null || !File.Exists(certificatePath))
        {
            return;
        }

        if (onlyIfMissing)
        {
            try
            {
                await using var existing = await shared.OpenReadAsync(Shared, cancellationToken);
                return;
            }
            catch (BlobNotFoundException)
            {
                // Expired by the bucket's rules, or never put: put it back.
            }
        }

        var pair = await File.ReadAllTextAsync(certificatePath, cancellationToken) + "\n" + await File.ReadAllTextAsync(keyPath, cancellationToken);
        using var content = new MemoryStream(Encoding.ASCII.GetBytes(pair));
        await shared.PutAsync(Shared, content, cancellationToken);
    }

    /// <summary>Takes the certificate out of the shared store (revoked: no edge may take it up again).</summary>
    public static async Task WithdrawSharedAsync(IBlobStore shared, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shared);
        await shared.DeleteAsync(Shared, cancellationToken);
    }

    /// <summary>Takes the shared certificate when it is for our names and lasts longer than ours.</summary>
    private async Task AdoptSharedAsync(IReadOnlyList<string> names, string certificatePath, string keyPath, CancellationToken cancellationToken)
    {
        if (shared is null)
        {
            return;
        }

        string pair;
        try
        {
            pair = await ReadSharedAsync(Shared, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return;
        }

        var keyStart = pair.IndexOf("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal);
        if (keyStart < 0)
        {
            return;
        }

        var (chain, key) = (pair[..keyStart].TrimEnd() + "\n", pair[keyStart..]);
        using var theirs = X509Certificate2.CreateFromPem(chain);
        if (!names.All(DnsNames(theirs).Contains))
        {
            return;
        }

        if (File.Exists(certificatePath))
        {
            using var ours = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
            if (ours.NotAfter >= theirs.NotAfter)
            {
                return;
            }
        }

        // The pair must match before it is served; one that does not is as good as none.
        try
        {
            using (X509Certificate2.CreateFromPem(chain, key))
            {
            }
        }
        catch (CryptographicException)
        {
            return;
        }

        Install(certificatePath, keyPath, chain, key);
        LogAdopted(string.Join(", ", names), theirs.SerialNumber, theirs.NotAfter.ToUniversalTime());
    }

    private async Task<string> ReadSharedAsync(string name, CancellationToken cancellationToken)
    {
        await using var stream = await shared!.OpenReadAsync(name, cancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "acme: ordering a certificate for {Names} from {Directory}: {Reason}")]
    private partial void LogOrdering(string names, string reason, string directory);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "acme: certificate for {Names} issued, serial {Serial}, valid until {NotAfter:yyyy-MM-dd HH:mm} UTC, by {Issuer}")]
    private partial void LogIssued(string names, string serial, DateTime notAfter, string issuer);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "acme: no certificate for {Names}: {Reason}; trying again in {Wait}")]
    private partial void LogFailed(string names, string reason, TimeSpan wait);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "acme: serving the certificate another edge shared for {Names}, serial {Serial}, valid until {NotAfter:yyyy-MM-dd HH:mm} UTC")]
    private partial void LogAdopted(string names, string serial, DateTime notAfter);
}
