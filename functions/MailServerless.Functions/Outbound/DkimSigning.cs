using System.Globalization;
using MailServerless.Core.Accounts;
using MimeKit;
using MimeKit.Cryptography;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// Signs outbound mail written here — submitted by an authenticated user, or an auto-reply — whose From:
/// is in a local domain, with that domain's key (RFC 6376, relaxed/relaxed), so that receivers can check it
/// and DMARC aligns. Only an author the submitter may send as (<see cref="SenderOwnership"/>) is signed for:
/// a user of one domain never gets another domain's key behind a From: they wrote. Anything else (a forward
/// of outside mail, even one claiming a local From:) goes out as it came: signing it would vouch for a
/// sender nobody checked.
/// </summary>
public sealed class DkimSigning(DkimKeys keys, DkimOptions options, IAccountDirectory directory, IDkimPublication publication, SenderOwnership ownership)
{
    /// <summary>The headers a signature covers (RFC 6376 §5.4.1's list, as far as the message has them).</summary>
    private static readonly string[] SignedHeaders =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Sender", "Auto-Submitted", "List-Id", "List-Unsubscribe",
    ];

    private static readonly IdnMapping Idn = new();

    /// <summary>Keys parsed once per selector, not once per message.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Domain, string Selector), Org.BouncyCastle.Crypto.AsymmetricKeyParameter> _parsed = new();

    /// <summary>Signs the message when it was written here and its author's domain is ours; false when it is not signed.</summary>
    /// <param name="authenticatedUser">Who submitted it (or whose auto-reply it is); null for mail that came from outside.</param>
    public async Task<bool> SignAsync(MimeMessage message, string? authenticatedUser, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!options.Enabled || string.IsNullOrEmpty(authenticatedUser) || message.From.Mailboxes.FirstOrDefault() is not { Domain.Length: > 0 } author)
        {
            return false;
        }

        string domain;
        try
        {
            domain = Idn.GetAscii(author.Domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return false;
        }

        if (await directory.GetDomainKindAsync(domain, cancellationToken) != DomainKind.Local ||
            !await ownership.MaySendAsAsync(author.Address, authenticatedUser, cancellationToken))
        {
            return false;
        }

        var key = await keys.SigningKeyAsync(domain, publication, cancellationToken);
        var privateKey = _parsed.GetOrAdd((domain, key.Selector), _ => key.ReadPrivateKey());
        var signer = new DkimSigner(privateKey, domain, key.Selector,
            key.Algorithm == DkimAlgorithm.Ed25519 ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };

        // What is signed must be what is sent: make the body 7-bit safe first, so that no relay (nor
        // MailKit, for a server without 8BITMIME) has to re-encode it afterwards.
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, SignedHeaders.Where(h => message.Headers.Contains(h)).ToList());
        return true;
    }
}
