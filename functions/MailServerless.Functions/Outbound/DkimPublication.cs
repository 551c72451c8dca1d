using DnsClient;

namespace MailServerless.Functions.Outbound;

/// <summary>Whether a DKIM key's record can be found in DNS yet (so that mail signed with it verifies).</summary>
public interface IDkimPublication
{
    Task<bool> IsPublishedAsync(DkimKey key, CancellationToken cancellationToken);
}

/// <summary>
/// Looks the record up as a receiver would: a TXT record at <c>selector._domainkey.domain</c> whose
/// strings, joined, carry the key's <c>p=</c> value (through <c>Mail:Relay:DnsServer</c> when set).
/// </summary>
public sealed class DnsDkimPublication(RelayOptions options) : IDkimPublication
{
    // Not cached: the point is to see the record as soon as it is published.
    private readonly LookupClient _dns = MxResolver.Resolver(options, useCache: false);

    public async Task<bool> IsPublishedAsync(DkimKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var response = await _dns.QueryAsync(key.DnsName, QueryType.TXT, cancellationToken: cancellationToken);
            return response.Answers.TxtRecords()
                .Select(r => string.Concat(r.Text).Replace(" ", string.Empty, StringComparison.Ordinal))
                .Any(text => text.Contains("p=" + key.PublicKey, StringComparison.Ordinal));
        }
        catch (DnsResponseException)
        {
            return false;
        }
    }
}
