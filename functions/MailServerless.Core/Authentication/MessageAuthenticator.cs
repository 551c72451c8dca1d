using System.Net;
using MailServerless.Core.Authentication.Spf;
using MailServerless.Core.Dns;
using MimeKit;
using MimeKit.Cryptography;

namespace MailServerless.Core.Authentication;

/// <summary>
/// The checks of mail from outside: SPF (at RCPT, <see cref="CheckSpfAsync"/>), then with the message DKIM, ARC and
/// DMARC (<see cref="CheckMessageAsync"/>), all through the server's one resolver.
/// </summary>
public sealed class MessageAuthenticator
{
    private readonly SpfEvaluator _spf;
    private readonly DnsDkimKeyLocator _keys;
    private readonly DkimVerification _dkim;
    private readonly DmarcEvaluator _dmarc;

    public MessageAuthenticator(IDnsLookup dns, PublicSuffixList suffixes, string receiver, TimeProvider clock)
    {
        _spf = new SpfEvaluator(dns, receiver, clock);
        _keys = new DnsDkimKeyLocator(dns);
        _dkim = new DkimVerification(_keys);
        _dmarc = new DmarcEvaluator(dns, suffixes);
    }

    public Task<SpfOutcome> CheckSpfAsync(IPAddress client, string helo, string mailFrom, CancellationToken cancellationToken) =>
        _spf.CheckAsync(client, helo, mailFrom, cancellationToken);

    public async Task<AuthenticationReport> CheckMessageAsync(MimeMessage message, SpfOutcome? spf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var dkim = await _dkim.VerifyAsync(message, cancellationToken);
        var arc = await ArcAsync(message, cancellationToken);
        var authors = message.Headers.Where(h => h.Id == HeaderId.From)
            .SelectMany(h => InternetAddressList.TryParse(h.RawValue, out var list) ? list.Mailboxes : [])
            .Select(m => m.Domain)
            .Where(d => d.Length > 0)
            .ToList();
        var dmarc = message.Headers.Count(h => h.Id == HeaderId.From) > 1
            ? new DmarcOutcome(AuthResult.PermError, authors.FirstOrDefault(), null, null, DmarcPolicy.None)
            : await _dmarc.EvaluateAsync(authors, spf, dkim, cancellationToken);
        return new AuthenticationReport(spf, dkim, arc, dmarc);
    }

    /// <summary>The ARC chain (RFC 8617 §5.2) with MimeKit's verifier; a chain that cannot be checked is a fail.</summary>
    private async Task<ArcOutcome> ArcAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var instances = message.Headers.Count(h => h.Id == HeaderId.ArcSeal);
        if (instances == 0)
        {
            return new ArcOutcome(AuthResult.None, 0);
        }

        try
        {
            var verifier = new ArcVerifier(_keys) { MinimumRsaKeyLength = 1024 };
            verifier.Enable(DkimSignatureAlgorithm.Ed25519Sha256);
            var result = await verifier.VerifyAsync(message, cancellationToken);
            return new ArcOutcome(result.Chain == ArcSignatureValidationResult.Pass ? AuthResult.Pass : AuthResult.Fail, instances);
        }
        catch (Exception e) when (e is FormatException or ParseException or DkimKeyMissingException or DkimKeyUnavailableException or ArgumentException)
        {
            return new ArcOutcome(AuthResult.Fail, instances);
        }
    }
}
