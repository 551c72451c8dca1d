using System.Net;
using MailServerless.Core.Dns;

namespace MailServerless.UnitTests.Authentication;

/// <summary>DNS answers for unit tests: TXT records by name (null: the query fails); every other name does not exist.</summary>
internal sealed class TxtTable(Dictionary<string, string?> txt) : IDnsLookup
{
    public Task<DnsResult<string>> TxtAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(txt.TryGetValue(name, out var value)
            ? value is null ? new DnsResult<string>(DnsStatus.Failed, []) : new DnsResult<string>(DnsStatus.Found, [value])
            : new DnsResult<string>(DnsStatus.NotFound, []));

    public Task<DnsResult<IPAddress>> AddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<IPAddress>(DnsStatus.NotFound, []));

    public Task<DnsResult<MxHost>> MxAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<MxHost>(DnsStatus.NotFound, []));

    public Task<DnsResult<Tlsa>> TlsaAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<Tlsa>(DnsStatus.NotFound, []));

    public Task<DnsResult<string>> PtrAsync(IPAddress address, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<string>(DnsStatus.NotFound, []));
}
