using MailServerless.Core.Dns;

namespace MailServerless.Functions.Outbound;

/// <summary>Whether a DKIM key's record can be found in DNS yet (so that mail signed with it verifies).</summary>
public interface IDkimPublication
{
    Task<bool> IsPublishedAsync(DkimKey key, CancellationToken cancellationToken);
}

/// <summary>
/// Looks the record up as a receiver would: a TXT record at <c>selector._domainkey.domain</c> whose
/// strings, joined, carry the key's <c>p=</c> value (through the server's resolver, past its cache).
/// </summary>
public sealed class DnsDkimPublication(DnsResolver dns) : IDkimPublication
{
    public async Task<bool> IsPublishedAsync(DkimKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        // Not cached: the point is to see the record as soon as it is published.
        var answer = await dns.FreshTxtAsync(key.DnsName, cancellationToken);
        return answer.Records
            .Select(text => text.Replace(" ", string.Empty, StringComparison.Ordinal))
            .Any(text => text.Contains("p=" + key.PublicKey, StringComparison.Ordinal));
    }
}
