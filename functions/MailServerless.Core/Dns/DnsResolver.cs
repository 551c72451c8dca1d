using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace MailServerless.Core.Dns;

/// <summary>
/// The server's one resolver (<c>Mail:Dns</c>): queries with a timeout and retries, answers cached for their TTL
/// (a missing name for its SOA's negative TTL, RFC 2308 §5) in a bounded cache. A server that does not answer,
/// SERVFAIL or REFUSED is <see cref="DnsStatus.Failed"/>: callers turn that into a temporary error, never "none".
/// </summary>
public sealed class DnsResolver : IDnsLookup
{
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(1);
    private static readonly TimeSpan DefaultNegativeTtl = TimeSpan.FromMinutes(1);

    private readonly LookupClient _client;
    private readonly DnsCache _cache;

    public DnsResolver(DnsOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        var servers = ParseServers(options.Servers);
        var settings = servers.Count == 0 ? new LookupClientOptions() : new LookupClientOptions(servers.ToArray());
        settings.UseCache = false; // ours is bounded; DnsClient's is not
        settings.Timeout = options.Timeout;
        settings.Retries = options.Retries;
        settings.ThrowDnsErrors = false;
        settings.ContinueOnDnsError = false;
        settings.UseTcpFallback = true;
        // The DO bit (RFC 3225): a validating resolver then sets AD on what it validated, which DANE relies on.
        settings.RequestDnsSecRecords = true;
        _client = new LookupClient(settings);
        _cache = new DnsCache(options.CacheSize, clock);
    }

    /// <summary>Answers in the cache now (for tests and metrics).</summary>
    public int CachedAnswers => _cache.Count;

    /// <summary>Parses <c>Mail:Dns:Servers</c>: addresses with an optional port, by commas or spaces.</summary>
    /// <exception cref="FormatException">An entry is not an address[:port].</exception>
    public static IReadOnlyList<IPEndPoint> ParseServers(string? servers) =>
        (servers ?? string.Empty).Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => IPEndPoint.TryParse(s, out var endpoint)
                ? endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint
                : throw new FormatException($"'{s}' is not an address[:port]"))
            .ToList();

    public Task<DnsResult<string>> TxtAsync(string name, CancellationToken cancellationToken) =>
        LookupAsync(name, QueryType.TXT, answers => answers.TxtRecords().Select(r => string.Concat(r.Text)), cancellationToken);

    /// <summary>TXT records as they are published now, bypassing the cache (a key just published).</summary>
    public async Task<DnsResult<string>> FreshTxtAsync(string name, CancellationToken cancellationToken)
    {
        var (result, _) = await QueryAsync(name, QueryType.TXT, answers => answers.TxtRecords().Select(r => string.Concat(r.Text)), cancellationToken);
        return result;
    }

    public Task<DnsResult<IPAddress>> AddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) =>
        ipv6
            ? LookupAsync(name, QueryType.AAAA, answers => answers.AaaaRecords().Select(r => r.Address), cancellationToken)
            : LookupAsync(name, QueryType.A, answers => answers.ARecords().Select(r => r.Address), cancellationToken);

    public Task<DnsResult<MxHost>> MxAsync(string name, CancellationToken cancellationToken) =>
        LookupAsync(name, QueryType.MX, answers => answers.MxRecords().Select(r => new MxHost(r.Preference, r.Exchange.Value.TrimEnd('.'))), cancellationToken);

    public Task<DnsResult<Tlsa>> TlsaAsync(string name, CancellationToken cancellationToken) =>
        LookupAsync(name, QueryType.TLSA, answers => answers.TlsaRecords().Select(r => new Tlsa(
            (byte)r.CertificateUsage, (byte)r.Selector, (byte)r.MatchingType, r.CertificateAssociationData.ToArray())), cancellationToken);

    public Task<DnsResult<string>> PtrAsync(IPAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return LookupAsync(address.GetArpaName(), QueryType.PTR, answers => answers.PtrRecords().Select(r => r.PtrDomainName.Value.TrimEnd('.')), cancellationToken);
    }

    private async Task<DnsResult<T>> LookupAsync<T>(
        string name, QueryType type, Func<IReadOnlyList<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        var key = name.TrimEnd('.').ToLowerInvariant();
        var typeKey = type.ToString();
        if (_cache.TryGet<DnsResult<T>>(key, typeKey, out var cached))
        {
            return cached;
        }

        var (result, ttl) = await QueryAsync(key, type, select, cancellationToken);
        _cache.Set(key, typeKey, result, ttl);
        return result;
    }

    private async Task<(DnsResult<T> Result, TimeSpan Ttl)> QueryAsync<T>(
        string name, QueryType type, Func<IReadOnlyList<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        if (name.Length == 0 || name.Length > 253)
        {
            return (new DnsResult<T>(DnsStatus.NotFound, []), TimeSpan.Zero);
        }

        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken);
        }
        catch (DnsResponseException)
        {
            return (new DnsResult<T>(DnsStatus.Failed, []), TimeSpan.Zero);
        }
        catch (ArgumentException)
        {
            // A label over 63 octets or another name DNS cannot carry: it cannot exist.
            return (new DnsResult<T>(DnsStatus.NotFound, []), TimeSpan.Zero);
        }

        var negativeTtl = response.Authorities.SoaRecords().Select(s => TimeSpan.FromSeconds(Math.Min(s.Minimum, (uint)s.InitialTimeToLive)))
            .DefaultIfEmpty(DefaultNegativeTtl).Min();
        var authenticated = response.Header.IsAuthenticData;
        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return (new DnsResult<T>(DnsStatus.NotFound, []) { Authenticated = authenticated }, Cap(negativeTtl));
        }

        if (response.HasError)
        {
            return (new DnsResult<T>(DnsStatus.Failed, []), TimeSpan.Zero);
        }

        var answers = response.Answers.ToList();
        var records = select(answers).ToList();
        var ttl = records.Count == 0 ? negativeTtl : TimeSpan.FromSeconds(answers.Min(a => a.InitialTimeToLive));
        return (new DnsResult<T>(DnsStatus.Found, records) { Authenticated = authenticated }, Cap(ttl));
    }

    private static TimeSpan Cap(TimeSpan ttl) => ttl > MaxTtl ? MaxTtl : ttl;
}
