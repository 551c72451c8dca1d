using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace MailServerless.Functions.Outbound;

/// <summary>Where mail for a domain goes, or why it cannot go anywhere.</summary>
/// <param name="Hosts">The MX hosts in the order to try, each with its addresses.</param>
/// <param name="Failure">When there are none: the status and the reason.</param>
public sealed record MxRoute(IReadOnlyList<(string Host, IReadOnlyList<IPAddress> Addresses)> Hosts, RecipientOutcome? Failure);

/// <summary>
/// MX look-ups as RFC 5321 §5.1 has them: MX records by preference (equal ones in random order), the
/// domain's own A/AAAA records when it has no MX, a null MX (RFC 7505) or a domain that does not exist
/// refused for good, and a resolver that does not answer a reason to try again. Our own host in the list
/// ends it there (§5.1: it and every MX of lower preference are dropped), so a backup MX never sends mail
/// to itself.
/// </summary>
public sealed class MxResolver
{
    private readonly LookupClient _dns;
    private readonly string _localHost;

    /// <param name="localHost">This server's name (<c>Mail:HostName</c>), as other domains' MX records would name it.</param>
    public MxResolver(RelayOptions options, string localHost)
    {
        ArgumentNullException.ThrowIfNull(options);
        _localHost = localHost.TrimEnd('.');
        _dns = Resolver(options, useCache: true);
    }

    /// <summary>A DNS client on <c>Mail:Relay:DnsServer</c> when set (a loopback resolver in tests), else the system's.</summary>
    internal static LookupClient Resolver(RelayOptions options, bool useCache)
    {
        var settings = string.IsNullOrWhiteSpace(options.DnsServer)
            ? new LookupClientOptions()
            : new LookupClientOptions(ParseServer(options.DnsServer));
        settings.UseCache = useCache;
        settings.Timeout = TimeSpan.FromSeconds(5);
        settings.Retries = 2;
        settings.ThrowDnsErrors = false;
        settings.ContinueOnDnsError = false;
        return new LookupClient(settings);
    }

    private static IPEndPoint ParseServer(string server) =>
        IPEndPoint.TryParse(server, out var endpoint)
            ? endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint
            : throw new InvalidOperationException($"Mail:Relay:DnsServer '{server}' is not an address[:port]");

    /// <summary>The route for mail to <paramref name="domain"/>; its failure, if any, is for the recipient <paramref name="recipient"/>.</summary>
    public async Task<MxRoute> ResolveAsync(string domain, string recipient, CancellationToken cancellationToken)
    {
        IDnsQueryResponse mx;
        try
        {
            mx = await _dns.QueryAsync(domain, QueryType.MX, cancellationToken: cancellationToken);
        }
        catch (DnsResponseException e)
        {
            return Failed(RecipientOutcome.Temporary(recipient, "4.4.3", $"Host or domain name lookup failed for {domain}: {e.Message}"));
        }

        if (mx.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return Failed(RecipientOutcome.Permanent(recipient, "5.4.4", $"Host or domain name not found. Name service error for name={domain} type=MX: Host not found"));
        }

        if (mx.HasError)
        {
            return Failed(RecipientOutcome.Temporary(recipient, "4.4.3", $"Host or domain name lookup failed for {domain} type=MX: {mx.ErrorMessage}"));
        }

        var records = mx.Answers.MxRecords().ToList();
        if (records.Any(r => r.Exchange.Value is "." or ""))
        {
            return Failed(RecipientOutcome.Permanent(recipient, "5.1.10", $"Domain {domain} does not accept mail (null MX, RFC 7505)"));
        }

        if (records.Count == 0)
        {
            // No MX: the domain itself is the host (RFC 5321 §5.1, "implicit MX").
            var (own, failed) = await AddressesAsync(domain, cancellationToken);
            return own.Count > 0 ? new MxRoute([(domain, own)], null)
                : failed ? Failed(RecipientOutcome.Temporary(recipient, "4.4.3", $"Host or domain name lookup failed for {domain} type=A/AAAA"))
                : Failed(RecipientOutcome.Permanent(recipient, "5.4.4", $"Host or domain name not found: {domain} has no MX and no address record"));
        }

        if (records.FirstOrDefault(r => string.Equals(r.Exchange.Value.TrimEnd('.'), _localHost, StringComparison.OrdinalIgnoreCase)) is { } self)
        {
            records = records.Where(r => r.Preference < self.Preference).ToList();
            if (records.Count == 0)
            {
                return Failed(RecipientOutcome.Permanent(recipient, "5.4.6", $"mail for {domain} loops back to myself ({_localHost} is its best MX)"));
            }
        }

        var hosts = new List<(string, IReadOnlyList<IPAddress>)>();
        foreach (var record in records.GroupBy(r => r.Preference).OrderBy(g => g.Key).SelectMany(g => g.OrderBy(_ => Random.Shared.Next())))
        {
            var name = record.Exchange.Value.TrimEnd('.');
            var (addresses, _) = await AddressesAsync(name, cancellationToken);
            if (addresses.Count > 0)
            {
                hosts.Add((name, addresses));
            }
        }

        return hosts.Count > 0
            ? new MxRoute(hosts, null)
            : Failed(RecipientOutcome.Temporary(recipient, "4.4.4", $"No MX host of {domain} has an address ({string.Join(", ", records.Select(r => r.Exchange.Value))})"));
    }

    /// <summary>The host's A and AAAA addresses; <c>Failed</c> when a look-up got no answer (as opposed to "none").</summary>
    private async Task<(IReadOnlyList<IPAddress> Addresses, bool Failed)> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return ([literal], false);
        }

        var addresses = new List<IPAddress>();
        var failed = false;
        foreach (var type in new[] { QueryType.A, QueryType.AAAA })
        {
            try
            {
                var response = await _dns.QueryAsync(host, type, cancellationToken: cancellationToken);
                failed |= response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain;
                addresses.AddRange(response.Answers.OfType<AddressRecord>().Select(a => a.Address));
            }
            catch (DnsResponseException)
            {
                // No answer for now: this host is skipped (the next one tried), and "none" is not concluded.
                failed = true;
            }
        }

        return (addresses, failed);
    }

    private static MxRoute Failed(RecipientOutcome failure) => new([], failure);
}
