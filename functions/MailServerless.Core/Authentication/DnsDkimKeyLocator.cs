using MailServerless.Core.Dns;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace MailServerless.Core.Authentication;

/// <summary>A DKIM key that cannot be had for now: the resolver did not answer (a temporary error, RFC 6376 §6.1.2).</summary>
public sealed class DkimKeyUnavailableException(string message) : Exception(message)
{
    public DkimKeyUnavailableException()
        : this("the key's DNS look-up failed")
    {
    }

    public DkimKeyUnavailableException(string message, Exception inner)
        : this(message + ": " + inner?.Message)
    {
    }
}

/// <summary>No usable key record at <c>selector._domainkey.domain</c> (a permanent error, RFC 6376 §6.1.2).</summary>
public sealed class DkimKeyMissingException(string message) : Exception(message)
{
    public DkimKeyMissingException()
        : this("no key record")
    {
    }

    public DkimKeyMissingException(string message, Exception inner)
        : this(message + ": " + inner?.Message)
    {
    }
}

/// <summary>
/// DKIM and ARC keys from TXT records at <c>selector._domainkey.domain</c>, through the server's resolver. A key is
/// parsed once per record text (BouncyCastle's RSA key checks cost about 20 ms), in a bounded table.
/// </summary>
public sealed class DnsDkimKeyLocator(IDnsLookup dns) : DkimPublicKeyLocatorBase
{
    private const int MaxParsedKeys = 1000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AsymmetricKeyParameter> _parsed = new(StringComparer.Ordinal);

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(
        string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        var name = $"{selector}._domainkey.{domain}";
        var answer = await dns.TxtAsync(name, cancellationToken);
        if (answer.Status == DnsStatus.Failed)
        {
            throw new DkimKeyUnavailableException($"key look-up for {name} failed");
        }

        // RFC 6376 §3.6.2.2: the strings of one record are joined; several records are one too many to choose from.
        var record = answer.Records.FirstOrDefault(r => r.Contains("p=", StringComparison.Ordinal));
        if (record is null)
        {
            throw new DkimKeyMissingException($"no key for signature in {name}");
        }

        if (_parsed.TryGetValue(record, out var known))
        {
            return known;
        }

        if (System.Text.RegularExpressions.Regex.IsMatch(record, @"(^|;)\s*p=\s*(;|$)", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            throw new DkimKeyMissingException($"key in {name} is revoked");
        }

        try
        {
            var key = GetPublicKey(record);
            if (_parsed.Count >= MaxParsedKeys)
            {
                _parsed.Clear();
            }

            _parsed[record] = key;
            return key;
        }
        catch (Exception e) when (e is MimeKit.ParseException or FormatException or ArgumentException or InvalidOperationException)
        {
            throw new DkimKeyMissingException($"key record {name} cannot be read: {e.Message}");
        }
    }
}
