using MailServerless.Core.Authentication;
using MailServerless.Core.Configuration;
using MailServerless.Core.Dns;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// The server's one resolver (<c>Mail:Dns</c>; <c>Mail:Relay:DnsServer</c> is its older name, used when
/// <c>Mail:Dns:Servers</c> is empty) and the message authentication that looks things up with it.
/// </summary>
public static class DnsServices
{
    public static IServiceCollection AddMailDns(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<DnsOptions>();
            var relay = sp.GetRequiredService<RelayOptions>();
            var effective = string.IsNullOrWhiteSpace(options.Servers) && !string.IsNullOrWhiteSpace(relay.DnsServer)
                ? new DnsOptions { Servers = relay.DnsServer, Timeout = options.Timeout, Retries = options.Retries, CacheSize = options.CacheSize }
                : options;
            return new DnsResolver(effective, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IDnsLookup>(sp => sp.GetRequiredService<DnsResolver>());
        services.AddSingleton(_ => PublicSuffixList.Default);
        services.AddSingleton(sp => new MessageAuthenticator(
            sp.GetRequiredService<IDnsLookup>(), sp.GetRequiredService<PublicSuffixList>(), sp.GetRequiredService<MailOptions>().EffectiveHostName,
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
