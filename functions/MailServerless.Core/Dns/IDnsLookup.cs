using System.Net;

namespace MailServerless.Core.Dns;

/// <summary>How a query ended.</summary>
public enum DnsStatus
{
    /// <summary>The name exists; the answer may still hold no record of the type asked (NODATA).</summary>
    Found,

    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NotFound,

    /// <summary>No usable answer (a timeout, SERVFAIL, REFUSED): a temporary error, never "none".</summary>
    Failed,
}

/// <summary>The records of one type at one name, and how the query ended.</summary>
public sealed record DnsResult<T>(DnsStatus Status, IReadOnlyList<T> Records)
{
    /// <summary>
    /// The resolver vouched for the answer with the AD bit (RFC 4035 §3.2.3): its DNSSEC signatures, or the proof that
    /// the name or type does not exist, validated. Only as trustworthy as the path to the resolver, so DANE wants a
    /// validating resolver on the same host (RFC 7672 §1.3).
    /// </summary>
    public bool Authenticated { get; init; }

    /// <summary>Neither failed nor holding a record: what RFC 7208 §4.6.4 calls a void lookup.</summary>
    public bool IsEmpty => Status != DnsStatus.Failed && Records.Count == 0;
}

/// <summary>One TLSA record (RFC 6698 §2.1): which certificate it names, by which part and which digest.</summary>
/// <param name="Usage">0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.</param>
/// <param name="Selector">0 the whole certificate, 1 its SubjectPublicKeyInfo.</param>
/// <param name="MatchingType">0 the bytes themselves, 1 their SHA-256, 2 their SHA-512.</param>
public sealed record Tlsa(byte Usage, byte Selector, byte MatchingType, ReadOnlyMemory<byte> Data);

/// <summary>One MX record.</summary>
public readonly record struct MxHost(int Preference, string Host);

/// <summary>The look-ups mail needs. <see cref="DnsResolver"/> asks real servers; tests may answer from a table.</summary>
public interface IDnsLookup
{
    /// <summary>TXT records, each one's strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2).</summary>
    Task<DnsResult<string>> TxtAsync(string name, CancellationToken cancellationToken);

    /// <summary>A records, or AAAA records when <paramref name="ipv6"/>.</summary>
    Task<DnsResult<IPAddress>> AddressesAsync(string name, bool ipv6, CancellationToken cancellationToken);

    Task<DnsResult<MxHost>> MxAsync(string name, CancellationToken cancellationToken);

    /// <summary>TLSA records, such as those of an SMTP server at <c>_25._tcp.mx.example.com</c> (RFC 7672 §2.2).</summary>
    Task<DnsResult<Tlsa>> TlsaAsync(string name, CancellationToken cancellationToken);

    /// <summary>The names of <paramref name="address"/>'s PTR records (under in-addr.arpa or ip6.arpa).</summary>
    Task<DnsResult<string>> PtrAsync(IPAddress address, CancellationToken cancellationToken);
}
