using MailServerless.Core.Authentication;
using MailServerless.Core.Configuration;
using MailServerless.Core.Dns;
using MailServerless.Functions.Outbound;

namespace MailServerless.Hosting;

/// <summary>
/// The server's one resolver (<c>Mail:Dns</c>; <c>Mail:Relay:DnsServer</c> is its older name, used when
/// <c>Mail:Dns:Servers</c> is empty) and the message authentication that looks things up with it.
/// </summary>
public static class DnsServices
{
    public static IServiceCollection AddMailDns(this IServiceCollection services)
    {
        services.AddSingleton(sp => new DnsResolver(
            Effective(sp.GetRequiredService<DnsOptions>(), sp.GetRequiredService<RelayOptions>()), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IDnsLookup>(sp => sp.GetRequiredService<DnsResolver>());
        services.AddSingleton(_ => PublicSuffixList.Default);
        services.AddSingleton(sp => new MessageAuthenticator(
            sp.GetRequiredService<IDnsLookup>(), sp.GetRequiredService<PublicSuffixList>(), sp.GetRequiredService<MailOptions>().EffectiveHostName,
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary><c>Mail:Dns</c>, with <c>Mail:Relay:DnsServer</c> as the servers when <c>Mail:Dns:Servers</c> is empty.</summary>
    public static DnsOptions Effective(DnsOptions options, RelayOptions relay)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(relay);
        return string.IsNullOrWhiteSpace(options.Servers) && !string.IsNullOrWhiteSpace(relay.DnsServer)
            ? new DnsOptions { Servers = relay.DnsServer, Timeout = options.Timeout, Retries = options.Retries, CacheSize = options.CacheSize }
            : options;
    }
}
