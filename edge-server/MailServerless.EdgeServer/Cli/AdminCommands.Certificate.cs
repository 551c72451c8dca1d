using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Acme;

namespace MailServerless.EdgeServer.Cli;

/// <summary>The served certificate as its holder sees it.</summary>
public sealed record CertificateView(string Source, IReadOnlyList<string> Names, string Serial, string Issuer, DateTime NotBefore, DateTime NotAfter);

/// <summary><c>admin certificate show|revoke</c>: what the mail ports serve, and certbot's <c>revoke</c> for an ACME certificate.</summary>
public static partial class AdminCommands
{
    private static Command Certificate(Verbs verbs, CliContext context)
    {
        var show = new Command("show", "Shows the certificate the mail ports serve: where it comes from, its names, serial, issuer and dates.");
        show.SetAction((parse, cancellationToken) => MailServerlessCommandLine.GuardAsync(context, async () =>
        {
            await using var services = CliHost.Build(context.Settings);
            var options = services.GetRequiredService<MailOptions>();
            var (path, source) = CurrentCertificate(options);
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(path));
            await CliOutput.WriteAsync(context.Output, View(source, certificate), parse.GetValue(verbs.Json));
            return 0;
        }));

        var reason = new Option<int?>("--reason") { Description = "An RFC 5280 CRLReason code (1: key compromise, 4: superseded, 5: cessation of operation)." };
        var revoke = new Command("revoke",
            "Revokes the ACME certificate with the account's key (certbot revoke) and removes it: the server orders a new one within a minute.")
        {
            reason,
        };
        revoke.SetAction((parse, cancellationToken) => MailServerlessCommandLine.GuardAsync(context, async () =>
        {
            await using var services = CliHost.Build(context.Settings);
            var options = services.GetRequiredService<MailOptions>();
            var (certificatePath, keyPath) = AcmeCertificates.Files(options);
            if (!options.Tls.Acme.Enabled || !File.Exists(certificatePath))
            {
                throw new CliException($"There is no ACME certificate to revoke ({certificatePath}; Mail:Tls:Acme:Enabled is {options.Tls.Acme.Enabled}).");
            }

            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
            using var accountKey = AcmeCertificates.AccountKey(options);
            using var http = AcmeCertificates.CreateHttpClient(options.Tls.Acme);
            try
            {
                await new AcmeClient(http, new Uri(options.Tls.Acme.Directory), accountKey).RevokeAsync(certificate, cancellationToken, parse.GetValue(reason));
            }
            catch (Exception e) when (e is AcmeException or HttpRequestException)
            {
                throw new CliException(e.Message);
            }

            // Not served any more: the server falls back to its self-signed certificate until the new one is issued, and no
            // edge takes the shared copy up again.
            File.Delete(certificatePath);
            File.Delete(keyPath);
            if (QueueServices.UsesSqs(services))
            {
                await AcmeCertificates.WithdrawSharedAsync(services.GetRequiredService<Core.Queue.IBlobStore>(), cancellationToken);
            }
            await CliOutput.WriteAsync(context.Output, View("acme (revoked)", certificate), parse.GetValue(verbs.Json));
            return 0;
        }));

        return Group("certificate", "The certificate the mail ports serve (Mail:Tls), and revoking an ACME one.", show, revoke);
    }

    /// <summary>The PEM the server serves now, and where it comes from (as <see cref="Protocol.TlsCertificateProvider"/> chooses).</summary>
    private static (string Path, string Source) CurrentCertificate(MailOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Tls.CertificatePath))
        {
            return (options.Tls.CertificatePath, "files (Mail:Tls:CertificatePath)");
        }

        var (acme, _) = AcmeCertificates.Files(options);
        if (options.Tls.Acme.Enabled && File.Exists(acme))
        {
            return (acme, $"acme ({options.Tls.Acme.Directory})");
        }

        var selfSigned = Path.Combine(options.EffectiveDataDirectory, "tls-cert.pem");
        return File.Exists(selfSigned)
            ? (selfSigned, options.Tls.Acme.Enabled ? "self-signed (the ACME certificate is not issued yet)" : "self-signed")
            : throw new CliException($"No certificate yet: the server makes one at its first start ({selfSigned}).");
    }

    private static CertificateView View(string source, X509Certificate2 certificate) => new(
        source,
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList(),
        certificate.SerialNumber, certificate.Issuer, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
}
