using MailServerless.Core.Dns;

namespace MailServerless.Core.Authentication;

/// <summary>
/// DMARC (RFC 7489 §6.6): finds the author domain's policy (at the domain, else at its organizational domain),
/// checks whether SPF or DKIM passed for a domain aligned with it, and decides what to do with a failure
/// (<c>p</c>, <c>sp</c> for subdomains, <c>np</c> for names that do not exist, sampled by <c>pct</c>).
/// </summary>
public sealed class DmarcEvaluator(IDnsLookup dns, PublicSuffixList suffixes, Func<int>? percentile = null)
{
    private readonly Func<int> _percentile = percentile ?? (() => Random.Shared.Next(100));

    /// <param name="authorDomains">The domains of the <c>From:</c> header's addresses.</param>
    public async Task<DmarcOutcome> EvaluateAsync(
        IReadOnlyCollection<string> authorDomains, SpfOutcome? spf, IReadOnlyList<DkimOutcome> dkim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authorDomains);
        ArgumentNullException.ThrowIfNull(dkim);
        var domains = authorDomains.Select(d => d.TrimEnd('.').ToLowerInvariant()).Distinct().ToList();
        if (domains.Count != 1)
        {
            // No author, or several with different domains: there is no one policy to apply (§6.6.1).
            return new DmarcOutcome(domains.Count == 0 ? AuthResult.None : AuthResult.PermError, domains.FirstOrDefault(), null, null, DmarcPolicy.None);
        }

        var author = domains[0];
        var organization = suffixes.OrganizationalDomain(author);
        var (record, status) = await PolicyAsync(author, cancellationToken);
        var atOrganization = false;
        if (record is null && status != DnsStatus.Failed && organization != author)
        {
            (record, status) = await PolicyAsync(organization, cancellationToken);
            atOrganization = true;
        }

        if (record is null)
        {
            return new DmarcOutcome(status == DnsStatus.Failed ? AuthResult.TempError : AuthResult.None, author, null, null, DmarcPolicy.None);
        }

        var dkimAligned = dkim.Any(d => d.Result == AuthResult.Pass && Aligned(d.Domain, author, record.StrictDkim));
        var spfAligned = spf is { Result: AuthResult.Pass } && Aligned(spf.Domain, author, record.StrictSpf);
        if (dkimAligned || spfAligned)
        {
            return new DmarcOutcome(AuthResult.Pass, author, record.Policy, record.SubdomainPolicy, DmarcPolicy.None);
        }

        var policy = record.Policy;
        if (atOrganization)
        {
            policy = record.SubdomainPolicy ?? record.Policy;
            if (record.NonexistentPolicy is { } np && await DoesNotExistAsync(author, cancellationToken))
            {
                policy = np;
            }
        }

        // §6.6.4: a message not sampled by pct gets the next policy down.
        if (record.Percent < 100 && _percentile() >= record.Percent)
        {
            policy = policy == DmarcPolicy.Reject ? DmarcPolicy.Quarantine : DmarcPolicy.None;
        }

        return new DmarcOutcome(AuthResult.Fail, author, record.Policy, record.SubdomainPolicy, policy);
    }

    /// <summary>Relaxed: the same organizational domain; strict: the same domain (§3.1).</summary>
    private bool Aligned(string domain, string author, bool strict)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        return strict ? domain == author : suffixes.OrganizationalDomain(domain) == suffixes.OrganizationalDomain(author);
    }

    private async Task<(DmarcRecord? Record, DnsStatus Status)> PolicyAsync(string domain, CancellationToken cancellationToken)
    {
        var answer = await dns.TxtAsync("_dmarc." + domain, cancellationToken);
        var records = answer.Records.Select(t => DmarcRecord.TryParse(t, out var r) ? r : null).OfType<DmarcRecord>().ToList();
        // More than one record is as good as none (§6.6.3 step 5).
        return (records.Count == 1 ? records[0] : null, answer.Status);
    }

    /// <summary>RFC 9091 §2.1: a name with no A, AAAA or MX record (NXDOMAIN or NODATA for each).</summary>
    private async Task<bool> DoesNotExistAsync(string domain, CancellationToken cancellationToken)
    {
        var a = await dns.AddressesAsync(domain, ipv6: false, cancellationToken);
        if (!a.IsEmpty)
        {
            return false;
        }

        var aaaa = await dns.AddressesAsync(domain, ipv6: true, cancellationToken);
        return aaaa.IsEmpty && (await dns.MxAsync(domain, cancellationToken)).IsEmpty;
    }
}
