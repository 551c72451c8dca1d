using System.Net;
using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.Core.Dns;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Api;

/// <summary>How a record compares with what it should be.</summary>
public enum DnsCheckStatus
{
    /// <summary>Published as it should be.</summary>
    Ok,

    /// <summary>Not published (and needed).</summary>
    Missing,

    /// <summary>Published, but not as it should be.</summary>
    Different,

    /// <summary>Not published, and not needed for mail to flow (MTA-STS, TLS-RPT, autoconfig).</summary>
    Optional,

    /// <summary>The look-up failed (a timeout, SERVFAIL): nothing can be said.</summary>
    Unknown,
}

/// <summary>One record of a domain's DNS check: where it goes, what it should hold, and what was found there.</summary>
/// <param name="Kind">What it is for: <c>mx</c>, <c>mx-address</c>, <c>ptr</c>, <c>spf</c>, <c>dkim</c>, <c>dmarc</c>, <c>mta-sts</c>, <c>tls-rpt</c>, <c>autoconfig</c>.</param>
/// <param name="Expected">The record to publish, as a zone file line's data (what the copy button copies).</param>
public sealed record DnsRecordCheck(string Kind, string Name, string Type, string Expected, IReadOnlyList<string> Found, DnsCheckStatus Status);

/// <summary>A domain's DNS as mail needs it, record by record (<c>GET /api/domains/{domain}/dns</c>).</summary>
public sealed record DomainDnsReport(string Domain, string MailHost, IReadOnlyList<DnsRecordCheck> Records);

/// <summary>
/// Looks up what a mail domain should publish and compares: the MX pointing here (RFC 5321 §5.1), the MX host's
/// address and its PTR naming it back (what receivers check, RFC 8601's iprev), SPF (RFC 7208), the DKIM key
/// (RFC 6376 §3.6.2.1), DMARC (RFC 7489 §6.1), MTA-STS (RFC 8461 §3.1), TLS-RPT (RFC 8460 §3) and the
/// <c>autoconfig.</c> host mail clients ask.
/// </summary>
public sealed class DomainDnsCheck(IDnsLookup dns, DkimKeys dkim, MailOptions options)
{
    /// <summary>Every <see cref="DnsRecordCheck.Kind"/> a check gives.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["mx", "mx-address", "ptr", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "autoconfig"];

    public async Task<DomainDnsReport> CheckAsync(DomainView domain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var name = domain.Domain;
        var host = options.EffectiveHostName.TrimEnd('.');
        var records = new List<DnsRecordCheck>();

        var mx = await dns.MxAsync(name, cancellationToken);
        var mxFound = mx.Records.Select(r => $"{r.Preference} {r.Host.TrimEnd('.')}.").ToList();
        records.Add(new("mx", name, "MX", $"10 {host}.", mxFound,
            mx.Status == DnsStatus.Failed ? DnsCheckStatus.Unknown
            : mx.Records.Count == 0 ? DnsCheckStatus.Missing
            : mx.Records.Any(r => SameName(r.Host, host)) ? DnsCheckStatus.Ok : DnsCheckStatus.Different));

        var v4 = await dns.AddressesAsync(host, false, cancellationToken);
        var v6 = await dns.AddressesAsync(host, true, cancellationToken);
        var addresses = v4.Records.Concat(v6.Records).ToList();
        records.Add(new("mx-address", host, "A", "(this server's public address)", addresses.Select(a => a.ToString()).ToList(),
            addresses.Count > 0 ? DnsCheckStatus.Ok
            : v4.Status == DnsStatus.Failed || v6.Status == DnsStatus.Failed ? DnsCheckStatus.Unknown : DnsCheckStatus.Missing));

        foreach (var address in addresses.Take(4))
        {
            var ptr = await dns.PtrAsync(address, cancellationToken);
            records.Add(new("ptr", ReverseName(address), "PTR", $"{host}.", ptr.Records.Select(p => p.TrimEnd('.') + ".").ToList(),
                ptr.Status == DnsStatus.Failed ? DnsCheckStatus.Unknown
                : ptr.Records.Count == 0 ? DnsCheckStatus.Missing
                : ptr.Records.Any(p => SameName(p, host)) ? DnsCheckStatus.Ok : DnsCheckStatus.Different));
        }

        // RFC 7208 §4.5: more than one SPF record is a permanent error, as bad as a wrong one.
        records.Add(await TxtAsync("spf", name, "v=spf1 mx -all", "v=spf1", required: true, one: true, cancellationToken));
        if (!domain.BackupMx)
        {
            var state = await dkim.GetStateAsync(name, cancellationToken);
            foreach (var key in new[] { state.Active, state.Pending }.OfType<DkimKey>())
            {
                var found = await dns.TxtAsync(key.DnsName, cancellationToken);
                records.Add(new("dkim", key.DnsName, "TXT", key.TxtRecord, found.Records,
                    found.Status == DnsStatus.Failed ? DnsCheckStatus.Unknown
                    : found.Records.Count == 0 ? DnsCheckStatus.Missing
                    : found.Records.Any(r => Squeezed(r) == Squeezed(key.TxtRecord)) ? DnsCheckStatus.Ok : DnsCheckStatus.Different));
            }
        }

        records.Add(await TxtAsync("dmarc", "_dmarc." + name, $"v=DMARC1; p=quarantine; rua=mailto:postmaster@{name}", "v=DMARC1", required: true, one: true, cancellationToken));
        records.Add(await TxtAsync("mta-sts", "_mta-sts." + name, $"v=STSv1; id={DateTime.UtcNow:yyyyMMdd}01", "v=STSv1", required: false, one: true, cancellationToken));
        records.Add(await TxtAsync("tls-rpt", "_smtp._tls." + name, $"v=TLSRPTv1; rua=mailto:postmaster@{name}", "v=TLSRPTv1", required: false, one: true, cancellationToken));

        var autoconfigHost = "autoconfig." + name;
        var autoconfig = await dns.AddressesAsync(autoconfigHost, false, cancellationToken);
        records.Add(new("autoconfig", autoconfigHost, "CNAME", $"{Autoconfig.HostName(options).TrimEnd('.')}.", autoconfig.Records.Select(a => a.ToString()).ToList(),
            autoconfig.Status == DnsStatus.Failed ? DnsCheckStatus.Unknown
            : autoconfig.Records.Count > 0 ? DnsCheckStatus.Ok : DnsCheckStatus.Optional));
        return new DomainDnsReport(name, host, records);
    }

    /// <summary>A TXT record identified by its version tag (<paramref name="tag"/>); the value itself is the domain's own choice.</summary>
    private async Task<DnsRecordCheck> TxtAsync(
        string kind, string name, string expected, string tag, bool required, bool one, CancellationToken cancellationToken)
    {
        var result = await dns.TxtAsync(name, cancellationToken);
        var tagged = result.Records.Where(r => r.TrimStart().StartsWith(tag, StringComparison.OrdinalIgnoreCase)).ToList();
        var status = result.Status == DnsStatus.Failed ? DnsCheckStatus.Unknown
            : tagged.Count == 0 ? (required ? DnsCheckStatus.Missing : DnsCheckStatus.Optional)
            : one && tagged.Count > 1 ? DnsCheckStatus.Different
            : DnsCheckStatus.Ok;
        return new DnsRecordCheck(kind, name, "TXT", expected, tagged, status);
    }

    private static bool SameName(string a, string b) => string.Equals(a.TrimEnd('.'), b.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    private static string Squeezed(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));

    /// <summary>The PTR name of an address (RFC 1035 §3.5, RFC 3596 §2.5).</summary>
    private static string ReverseName(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? string.Join('.', bytes.Reverse()) + ".in-addr.arpa"
            : string.Join('.', bytes.Reverse().SelectMany(b => new[] { b & 0xF, b >> 4 }).Select(n => n.ToString("x", System.Globalization.CultureInfo.InvariantCulture))) + ".ip6.arpa";
    }
}
