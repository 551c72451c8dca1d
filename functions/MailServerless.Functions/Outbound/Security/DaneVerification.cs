using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailServerless.Core.Dns;

namespace MailServerless.Functions.Outbound.Security;

/// <summary>
/// Checks an SMTP server's certificate against its TLSA records as RFC 7672 §3 has it: DANE-EE(3) names the server's
/// own certificate or key, and then neither the name nor the dates matter; DANE-TA(2) names a certificate the server
/// sends in its chain, which the server's certificate must lead to while naming the MX host. PKIX-TA(0) and PKIX-EE(1)
/// are not usable for SMTP (§3.1.3).
/// </summary>
public static class DaneVerification
{
    /// <summary>A record this client can use: DANE-TA or DANE-EE, a known selector and a known matching type.</summary>
    public static bool IsUsable(Tlsa record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Usage is 2 or 3 && record.Selector is 0 or 1 && record.MatchingType is 0 or 1 or 2;
    }

    /// <summary>Whether the server (<paramref name="host"/>) proved itself by one of the usable <paramref name="records"/>.</summary>
    /// <param name="chain">The chain the TLS layer built, holding what the server sent.</param>
    public static bool Verifies(IReadOnlyList<Tlsa> records, X509Certificate? certificate, X509Chain? chain, string host)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (certificate is null)
        {
            return false;
        }

        using var leaf = new X509Certificate2(certificate);
        var usable = records.Where(IsUsable).ToList();
        if (usable.Any(r => r.Usage == 3 && Matches(r, leaf)))
        {
            return true;
        }

        var sent = Sent(chain, leaf);
        foreach (var record in usable.Where(r => r.Usage == 2))
        {
            foreach (var anchor in sent.Where(c => Matches(record, c)))
            {
                if (LeadsTo(leaf, anchor, sent) && leaf.MatchesHostname(host))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The record's data against the certificate's selected part (RFC 6698 §2.1.2–§2.1.3).</summary>
    public static bool Matches(Tlsa record, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(certificate);
        var selected = record.Selector == 0 ? certificate.RawData : certificate.PublicKey.ExportSubjectPublicKeyInfo();
        var digest = record.MatchingType switch
        {
            0 => selected,
            1 => SHA256.HashData(selected),
            2 => SHA512.HashData(selected),
            _ => [],
        };
        return digest.Length > 0 && digest.AsSpan().SequenceEqual(record.Data.Span);
    }

    /// <summary>The certificates other than the server's own that came with it.</summary>
    private static List<X509Certificate2> Sent(X509Chain? chain, X509Certificate2 leaf)
    {
        var sent = new List<X509Certificate2>();
        if (chain is null)
        {
            return sent;
        }

        sent.AddRange(chain.ChainPolicy.ExtraStore);
        sent.AddRange(chain.ChainElements.Select(e => e.Certificate));
        return sent.Where(c => !c.RawData.AsSpan().SequenceEqual(leaf.RawData)).ToList();
    }

    /// <summary>
    /// The server's certificate chains up to <paramref name="anchor"/>, taken as the trust anchor whether it is a root or
    /// an intermediate (§3.1.2): the chain is built from what the server sent, with any issuer allowed, and must pass
    /// through the anchor with no fault but an unknown root above it.
    /// </summary>
    private static bool LeadsTo(X509Certificate2 leaf, X509Certificate2 anchor, List<X509Certificate2> sent)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.AddRange(sent.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        chain.Build(leaf);
        var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
        var at = elements.FindIndex(c => c.RawData.AsSpan().SequenceEqual(anchor.RawData));
        if (at < 1)
        {
            return false;
        }

        // Faults at or below the anchor count; what lies above it (an unknown or missing root) does not.
        const X509ChainStatusFlags AboveAnchor = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain;
        return chain.ChainElements.Take(at + 1).All(e => e.ChainElementStatus.All(s => (s.Status & ~AboveAnchor) == X509ChainStatusFlags.NoError));
    }
}
