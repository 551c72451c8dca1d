using System.Text;
using MailServerless.Core.Accounts;
using MimeKit;
using MimeKit.Cryptography;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// Seals a forward of mail from outside with ARC (RFC 8617), with the key of the hosted domain that forwards it:
/// the checks the MX made (its Authentication-Results) go into ARC-Authentication-Results, so that a receiver
/// that trusts us (Gmail, Microsoft) can still see them after the forward broke SPF and perhaps DKIM.
/// </summary>
public sealed class ArcSealing(DkimKeys keys, DkimOptions options, IAccountDirectory directory, IDkimPublication publication)
{
    /// <summary>The headers ARC-Message-Signature covers, as far as the message has them.</summary>
    private static readonly string[] SignedHeaders =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "DKIM-Signature",
    ];

    /// <summary>Seals the message; false when it is not sealed (DKIM off, no results, a domain that is not ours).</summary>
    /// <param name="domain">The hosted domain that forwards it (its recipient's).</param>
    /// <param name="authenticationResults">The MX's Authentication-Results field, as the envelope carries it.</param>
    public async Task<bool> SealAsync(MimeMessage message, string? domain, string? authenticationResults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!options.Enabled || string.IsNullOrEmpty(domain) || authenticationResults is null ||
            message.Headers.Count(h => h.Id == HeaderId.ArcSeal) >= 50 || // RFC 8617 §4.2.1: at most 50 instances
            await directory.GetDomainKindAsync(domain, cancellationToken) != DomainKind.Local)
        {
            return false;
        }

        var value = authenticationResults[(authenticationResults.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        if (!AuthenticationResults.TryParse(Encoding.UTF8.GetBytes(value), out var results))
        {
            return false;
        }

        var key = await keys.SigningKeyAsync(domain, publication, cancellationToken);
        var signer = new Sealer(key.ReadPrivateKey(), domain, key.Selector,
            key.Algorithm == DkimAlgorithm.Ed25519 ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256, results)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        message.Prepare(EncodingConstraint.SevenBit);
        await signer.SignAsync(message, SignedHeaders.Where(h => message.Headers.Contains(h)).ToList(), cancellationToken);
        return true;
    }

    /// <summary>An ArcSigner whose ARC-Authentication-Results are the MX's own (its <c>arc=</c> result gives <c>cv=</c>).</summary>
    private sealed class Sealer(
        Org.BouncyCastle.Crypto.AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm, AuthenticationResults results)
        : ArcSigner(key, domain, selector, algorithm)
    {
        protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            results;

        protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(results);
    }
}
