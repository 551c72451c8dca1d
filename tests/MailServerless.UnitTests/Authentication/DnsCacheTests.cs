using MailServerless.Core.Dns;
using MailServerless.Hosting;
using MailServerless.Functions.Outbound;
using Microsoft.Extensions.Time.Testing;

namespace MailServerless.UnitTests.Authentication;

/// <summary>The resolver's cache: answers for their TTL, never more than its size; and which servers it asks.</summary>
public sealed class DnsCacheTests
{
    [Fact]
    public void Answer_is_kept_for_its_ttl_only()
    {
        var clock = new FakeTimeProvider();
        var cache = new DnsCache(100, clock);
        cache.Set("a.test", "TXT", "answer", TimeSpan.FromSeconds(30));
        Assert.True(cache.TryGet<string>("a.test", "TXT", out var hit) && hit == "answer");
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.False(cache.TryGet<string>("a.test", "TXT", out _));
    }

    [Fact]
    public void Cache_never_grows_past_its_size()
    {
        var clock = new FakeTimeProvider();
        var cache = new DnsCache(1000, clock);
        for (var i = 0; i < 50_000; i++)
        {
            cache.Set($"n{i}.spam.test", "TXT", "x", TimeSpan.FromSeconds(60 + (i % 100)));
            Assert.True(cache.Count <= 1001);
        }
    }

    [Fact]
    public void Relay_dns_server_is_the_older_name_of_the_servers()
    {
        var relay = new RelayOptions { DnsServer = "127.0.0.1:5353" };
        Assert.Equal("127.0.0.1:5353", DnsServices.Effective(new DnsOptions(), relay).Servers);
        Assert.Equal("10.0.0.2", DnsServices.Effective(new DnsOptions { Servers = "10.0.0.2" }, relay).Servers);
        Assert.Equal(2, DnsResolver.ParseServers("10.0.0.2, [::1]:5353").Count);
        Assert.Throws<FormatException>(() => DnsResolver.ParseServers("dns.example"));
    }
}
