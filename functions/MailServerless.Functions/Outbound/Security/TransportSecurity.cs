using MailServerless.Core.Dns;

namespace MailServerless.Functions.Outbound.Security;

/// <summary>How to talk to one MX host, or why it must not get the mail.</summary>
/// <param name="PolicyType">What decided it, as an SMTP TLS report names it (RFC 8460 §4.2): tlsa, sts or no-policy-found.</param>
/// <param name="RequireTls">Without TLS, do not send.</param>
/// <param name="VerifyCertificate">The certificate must verify for the MX host's name (MTA-STS, RFC 8461 §4.2).</param>
/// <param name="Tlsa">The usable TLSA records the certificate must match (DANE, RFC 7672 §3); null when none apply.</param>
/// <param name="Refusal">Why this host gets nothing (a temporary failure, status 4.7.5); null when it may be tried.</param>
public sealed record HostSecurity(string PolicyType, bool RequireTls, bool VerifyCertificate, IReadOnlyList<Tlsa>? Tlsa = null, string? Refusal = null)
{
    /// <summary>No policy: STARTTLS when offered, any certificate (Postfix's <c>smtp_tls_security_level = may</c>).</summary>
    public static HostSecurity Opportunistic { get; } = new("no-policy-found", RequireTls: false, VerifyCertificate: false);
}

/// <summary>
/// Decides, per MX host, the transport security direct delivery owes it: DANE where DNSSEC-signed TLSA records exist
/// (they take precedence, RFC 8461 §2), else the domain's MTA-STS policy, else opportunistic TLS.
/// </summary>
public sealed class TransportSecurity(IDnsLookup dns, MtaStsPolicies? mtaSts, bool dane)
{
    /// <summary>The recipient domain's MTA-STS policy in force, if MTA-STS is on and it has one.</summary>
    public async Task<MtaStsPolicy?> PolicyAsync(string domain, CancellationToken cancellationToken) =>
        mtaSts is null ? null : await mtaSts.GetAsync(domain, cancellationToken);

    public async Task<HostSecurity> ForHostAsync(MxHostRoute host, string domain, MtaStsPolicy? policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (dane && host.Secure)
        {
            // RFC 7672 §2.2: TLSA records are looked up only for a host whose MX and address records are secure.
            var tlsa = await dns.TlsaAsync($"_25._tcp.{host.Host}", cancellationToken);
            if (tlsa.Status == DnsStatus.Failed)
            {
                // §2.2: a failed TLSA look-up (a bogus answer is a SERVFAIL) may hide records that would be required.
                return new HostSecurity("tlsa", true, false, Refusal: $"TLSA lookup error for {host.Host}:25");
            }

            if (tlsa.Authenticated && tlsa.Records.Count > 0)
            {
                // §3.1.3: when none of the records is usable, TLS is still required, without authentication.
                var usable = tlsa.Records.Where(DaneVerification.IsUsable).ToList();
                return new HostSecurity("tlsa", RequireTls: true, VerifyCertificate: false, usable.Count > 0 ? usable : null);
            }
        }

        if (policy is not { Mode: MtaStsMode.Enforce })
        {
            // testing and none: delivery goes on as without a policy (RFC 8461 §5).
            return policy is { Mode: MtaStsMode.Testing } ? HostSecurity.Opportunistic with { PolicyType = "sts" } : HostSecurity.Opportunistic;
        }

        return policy.Allows(host.Host)
            ? new HostSecurity("sts", RequireTls: true, VerifyCertificate: true)
            : new HostSecurity("sts", true, true, Refusal: $"MX host {host.Host} is not allowed by the MTA-STS policy of {domain}");
    }
}
