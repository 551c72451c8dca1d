using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MailServerless.Functions.Outbound.Security;

/// <summary>
/// What an outbound TLS peer's certificate is checked against: the system's roots, and the certificate authorities of
/// <c>Mail:Relay:CaFile</c> (Postfix's <c>smtp_tls_CAfile</c>: a private CA, or the one a test issues from).
/// </summary>
public sealed class CertificateTrust
{
    private readonly X509Certificate2Collection _authorities = [];

    /// <param name="caFile">PEM certificates to trust besides the system's; none when empty.</param>
    public CertificateTrust(string? caFile)
    {
        if (!string.IsNullOrWhiteSpace(caFile))
        {
            _authorities.ImportFromPemFile(caFile);
        }
    }

    /// <summary>
    /// Null when the certificate verifies for the name the connection asked for; otherwise what is wrong with it, as an
    /// SMTP TLS report's result-type (RFC 8460 §4.3.2.2).
    /// </summary>
    public string? Problem(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return null;
        }

        if (certificate is null)
        {
            return "validation-failure";
        }

        var status = ChainStatus(chain);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && _authorities.Count > 0)
        {
            // The system's roots do not lead to it: do ours?
            using var leaf = new X509Certificate2(certificate);
            using var ours = new X509Chain();
            ours.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            ours.ChainPolicy.CustomTrustStore.AddRange(_authorities);
            ours.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            ours.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")); // serverAuth
            if (chain is not null)
            {
                ours.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
                foreach (var element in chain.ChainElements)
                {
                    ours.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            if (ours.Build(leaf))
            {
                errors &= ~SslPolicyErrors.RemoteCertificateChainErrors;
            }
            else
            {
                status = ChainStatus(ours);
            }
        }

        // The name is checked by the TLS layer either way (RemoteCertificateNameMismatch).
        return errors == SslPolicyErrors.None ? null : TlsFailureReport.CertificateResultType(errors, status) ?? "validation-failure";
    }

    private static X509ChainStatusFlags ChainStatus(X509Chain? chain) =>
        chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
}
