using System.Net;
using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.Core.Dns;
using MailServerless.EdgeServer.Api;
using MailServerless.Functions.Outbound;
using MailServerless.IntegrationTests.Accounts;

namespace MailServerless.IntegrationTests.Administration;

/// <summary>The DNS check compares what a domain publishes with what mail through this host needs, record by record.</summary>
public sealed class DomainDnsCheckTests(SqliteSeededDirectory seeded) : IClassFixture<SqliteSeededDirectory>
{
    private static readonly DomainView Domain = new("example.jp", string.Empty, 0, 0, 0, 0, "virtual", false, true, 0, 0);

    [Fact]
    public async Task A_domain_that_publishes_everything_right_is_ok_throughout()
    {
        var keys = new DkimKeys(seeded.Test.Database, new DkimOptions(), TimeProvider.System);
        var key = (await keys.GetStateAsync("example.jp")).Active;
        var dns = new Zone
        {
            Mx = { ["example.jp"] = [new MxHost(10, "mx.example.jp.")] },
            Addresses = { ["mx.example.jp"] = [IPAddress.Parse("192.0.2.25")], ["autoconfig.example.jp"] = [IPAddress.Parse("192.0.2.25")] },
            Ptr = { [IPAddress.Parse("192.0.2.25")] = ["mx.example.jp."] },
            Txt =
            {
                ["example.jp"] = ["google-site-verification=abc", "v=spf1 mx ~all"],
                [key.DnsName] = [key.TxtRecord.Replace("; p=", ";  p=", StringComparison.Ordinal)], // spacing is not content
                ["_dmarc.example.jp"] = ["v=DMARC1; p=reject"],
                ["_mta-sts.example.jp"] = ["v=STSv1; id=1"],
                ["_smtp._tls.example.jp"] = ["v=TLSRPTv1; rua=mailto:tls@example.jp"],
            },
        };

        var report = await Check(dns, keys).CheckAsync(Domain, CancellationToken.None);

        Assert.Equal("mx.example.jp", report.MailHost);
        Assert.All(report.Records, r => Assert.True(r.Status == DnsCheckStatus.Ok, $"{r.Kind}: {r.Status}"));
        Assert.Equal(["mx", "mx-address", "ptr", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "autoconfig"], report.Records.Select(r => r.Kind));
        Assert.Equal(["v=spf1 mx ~all"], report.Records.Single(r => r.Kind == "spf").Found);
        Assert.Equal("25.2.0.192.in-addr.arpa", report.Records.Single(r => r.Kind == "ptr").Name);
    }

    [Fact]
    public async Task Missing_wrong_and_unanswered_records_are_told_apart()
    {
        var keys = new DkimKeys(seeded.Test.Database, new DkimOptions(), TimeProvider.System);
        var key = (await keys.GetStateAsync("example.jp")).Active;
        var dns = new Zone
        {
            Mx = { ["example.jp"] = [new MxHost(10, "mail.elsewhere.example.")] },
            Addresses = { ["mx.example.jp"] = [IPAddress.Parse("2001:db8::25")] },
            Ptr = { [IPAddress.Parse("2001:db8::25")] = ["host.isp.example."] },
            Txt =
            {
                // Two SPF records are a permanent error (RFC 7208 §4.5).
                ["example.jp"] = ["v=spf1 mx -all", "v=spf1 a -all"],
                [key.DnsName] = ["v=DKIM1; k=rsa; p=AAAA"],
                ["_dmarc.example.jp"] = null,
            },
        };

        var report = await Check(dns, keys).CheckAsync(Domain, CancellationToken.None);
        var status = report.Records.ToDictionary(r => r.Kind, r => r.Status);

        Assert.Equal(DnsCheckStatus.Different, status["mx"]);
        Assert.Equal(DnsCheckStatus.Ok, status["mx-address"]);
        Assert.Equal(DnsCheckStatus.Different, status["ptr"]);
        Assert.Equal("5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", report.Records.Single(r => r.Kind == "ptr").Name);
        Assert.Equal(DnsCheckStatus.Different, status["spf"]);
        Assert.Equal(DnsCheckStatus.Different, status["dkim"]);
        Assert.Equal(DnsCheckStatus.Unknown, status["dmarc"]);
        Assert.Equal(DnsCheckStatus.Optional, status["mta-sts"]);
        Assert.Equal(DnsCheckStatus.Optional, status["autoconfig"]);
        Assert.Equal("10 mx.example.jp.", report.Records.Single(r => r.Kind == "mx").Expected);
        Assert.Equal(key.TxtRecord, report.Records.Single(r => r.Kind == "dkim").Expected);
    }

    [Fact]
    public async Task A_backup_mx_domain_has_no_dkim_record_to_publish()
    {
        var keys = new DkimKeys(seeded.Test.Database, new DkimOptions(), TimeProvider.System);
        var report = await Check(new Zone(), keys).CheckAsync(Domain with { Domain = "backup.example", BackupMx = true }, CancellationToken.None);
        Assert.DoesNotContain(report.Records, r => r.Kind == "dkim");
        Assert.Equal(DnsCheckStatus.Missing, report.Records.Single(r => r.Kind == "mx").Status);
        Assert.Equal(DnsCheckStatus.Missing, report.Records.Single(r => r.Kind == "mx-address").Status);
    }

    private static DomainDnsCheck Check(Zone dns, DkimKeys keys) => new(dns, keys, new MailOptions { HostName = "mx.example.jp" });

    /// <summary>DNS answers by name; a null TXT entry fails (SERVFAIL), any other name does not exist.</summary>
    private sealed class Zone : IDnsLookup
    {
        public Dictionary<string, string[]?> Txt { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, IPAddress[]> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, MxHost[]> Mx { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<IPAddress, string[]> Ptr { get; } = [];

        public Task<DnsResult<string>> TxtAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(!Txt.TryGetValue(name, out var records) ? new DnsResult<string>(DnsStatus.NotFound, [])
                : records is null ? new DnsResult<string>(DnsStatus.Failed, [])
                : new DnsResult<string>(DnsStatus.Found, records));

        public Task<DnsResult<IPAddress>> AddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) =>
            Task.FromResult(Found(Addresses.GetValueOrDefault(name)?.Where(a => (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) == ipv6).ToArray()));

        public Task<DnsResult<MxHost>> MxAsync(string name, CancellationToken cancellationToken) => Task.FromResult(Found(Mx.GetValueOrDefault(name)));

        public Task<DnsResult<Tlsa>> TlsaAsync(string name, CancellationToken cancellationToken) => Task.FromResult(Found<Tlsa>(null));

        public Task<DnsResult<string>> PtrAsync(IPAddress address, CancellationToken cancellationToken) => Task.FromResult(Found(Ptr.GetValueOrDefault(address)));

        private static DnsResult<T> Found<T>(T[]? records) =>
            records is null ? new DnsResult<T>(DnsStatus.NotFound, []) : new DnsResult<T>(DnsStatus.Found, records);
    }
}
