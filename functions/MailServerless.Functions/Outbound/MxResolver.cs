using System.Net;
using MailServerless.Core.Dns;

namespace MailServerless.Functions.Outbound;

/// <summary>One MX host to try, with its addresses.</summary>
/// <param name="Secure">
/// DNSSEC vouched for the MX records and for this host's addresses (RFC 7672 §2.2): only then do its TLSA records count.
/// </param>
public sealed record MxHostRoute(string Host, IReadOnlyList<IPAddress> Addresses, bool Secure);

/// <summary>Where mail for a domain goes, or why it cannot go anywhere.</summary>
/// <param name="Hosts">The MX hosts in the order to try, each with its addresses.</param>
/// <param name="Failure">When there are none: the status and the reason.</param>
public sealed record MxRoute(IReadOnlyList<MxHostRoute> Hosts, RecipientOutcome? Failure);

/// <summary>
/// MX look-ups as RFC 5321 §5.1 has them: MX records by preference (equal ones in random order), the
/// domain's own A/AAAA records when it has no MX, a null MX (RFC 7505) or a domain that does not exist
/// refused for good, and a resolver that does not answer a reason to try again. Our own host in the list
/// ends it there (§5.1: it and every MX of lower preference are dropped), so a backup MX never sends mail
/// to itself.
/// </summary>
public sealed class MxResolver(IDnsLookup dns, string localHost)
{
    private readonly string _localHost = localHost.TrimEnd('.');

    /// <summary>The route for mail to <paramref name="domain"/>; its failure, if any, is for the recipient <paramref name="recipient"/>.</summary>
    public async Task<MxRoute> ResolveAsync(string domain, string recipient, CancellationToken cancellationToken)
    {
        var mx = await dns.MxAsync(domain, cancellationToken);
        if (mx.Status == DnsStatus.NotFound)
        {
            return Failed(RecipientOutcome.Permanent(recipient, "5.4.4", $"Host or domain name not found. Name service error for name={domain} type=MX: Host not found"));
        }

        if (mx.Status == DnsStatus.Failed)
        {
            return Failed(RecipientOutcome.Temporary(recipient, "4.4.3", $"Host or domain name lookup failed for {domain} type=MX"));
        }

        var records = mx.Records.ToList();
        if (records.Any(r => r.Host is "." or ""))
        {
            return Failed(RecipientOutcome.Permanent(recipient, "5.1.10", $"Domain {domain} does not accept mail (null MX, RFC 7505)"));
        }

        if (records.Count == 0)
        {
            // No MX: the domain itself is the host (RFC 5321 §5.1, "implicit MX").
            var (own, failed, secure) = await AddressesAsync(domain, cancellationToken);
            return own.Count > 0 ? new MxRoute([new MxHostRoute(domain, own, mx.Authenticated && secure)], null)
                : failed ? Failed(RecipientOutcome.Temporary(recipient, "4.4.3", $"Host or domain name lookup failed for {domain} type=A/AAAA"))
                : Failed(RecipientOutcome.Permanent(recipient, "5.4.4", $"Host or domain name not found: {domain} has no MX and no address record"));
        }

        if (records.FirstOrDefault(r => string.Equals(r.Host, _localHost, StringComparison.OrdinalIgnoreCase)) is { Host: not null } self)
        {
            records = records.Where(r => r.Preference < self.Preference).ToList();
            if (records.Count == 0)
            {
                return Failed(RecipientOutcome.Permanent(recipient, "5.4.6", $"mail for {domain} loops back to myself ({_localHost} is its best MX)"));
            }
        }

        var hosts = new List<MxHostRoute>();
        foreach (var record in records.GroupBy(r => r.Preference).OrderBy(g => g.Key).SelectMany(g => g.OrderBy(_ => Random.Shared.Next())))
        {
            var (addresses, _, secure) = await AddressesAsync(record.Host, cancellationToken);
            if (addresses.Count > 0)
            {
                hosts.Add(new MxHostRoute(record.Host, addresses, mx.Authenticated && secure));
            }
        }

        return hosts.Count > 0
            ? new MxRoute(hosts, null)
            : Failed(RecipientOutcome.Temporary(recipient, "4.4.4", $"No MX host of {domain} has an address ({string.Join(", ", records.Select(r => r.Host))})"));
    }

    /// <summary>
    /// The host's A and AAAA addresses; <c>Failed</c> when a look-up got no answer (as opposed to "none"), <c>Secure</c>
    /// when DNSSEC vouched for every answer that came.
    /// </summary>
    private async Task<(IReadOnlyList<IPAddress> Addresses, bool Failed, bool Secure)> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return ([literal], false, false);
        }

        var addresses = new List<IPAddress>();
        var failed = false;
        var secure = true;
        foreach (var ipv6 in new[] { false, true })
        {
            // No answer for now: this host is skipped (the next one tried), and "none" is not concluded.
            var answer = await dns.AddressesAsync(host, ipv6, cancellationToken);
            failed |= answer.Status == DnsStatus.Failed;
            // A look-up that failed (a bogus answer is a SERVFAIL) proves nothing insecure: were it taken as insecure,
            // dropping the AAAA query would turn DANE off for the host (RFC 7672 §2.2).
            secure &= answer.Status == DnsStatus.Failed || answer.Authenticated;
            addresses.AddRange(answer.Records);
        }

        return (addresses, failed, secure && addresses.Count > 0);
    }

    private static MxRoute Failed(RecipientOutcome failure) => new([], failure);
}
