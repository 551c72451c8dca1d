using Microsoft.Extensions.DependencyInjection.Extensions;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;
using MailServerless.Functions.Outbound.Security;

namespace MailServerless.Hosting;

/// <summary>
/// The functions, bound to nothing yet: <see cref="DeliverInbound"/> with its bounces, and
/// <see cref="RelayOutbound"/> with the relay transport of <c>Mail:Relay</c>, DKIM signing
/// (<c>Mail:Dkim</c>) and vacation replies. <see cref="QueueWorkers"/> or a Lambda handler runs them.
/// </summary>
public static class FunctionServices
{
    public static IServiceCollection AddMailFunctions(this IServiceCollection services)
    {
        services.AddSingleton(sp => new NonDeliveryReports(
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Inbound), sp.GetRequiredService<DeliveryOptions>(),
            sp.GetRequiredService<ILogger<NonDeliveryReports>>()));
        services.AddSingleton(sp => new DeliverInbound(
            sp.GetRequiredService<RecipientResolver>(),
            sp.GetRequiredService<MaildirStore>(),
            sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Outbound),
            sp.GetRequiredService<NonDeliveryReports>(),
            sp.GetRequiredService<DeliveryOptions>(),
            sp.GetRequiredService<ILogger<DeliverInbound>>(),
            sp.GetRequiredService<Core.Addresses.SrsSecret>(),
            sp.GetRequiredService<SieveFilters>(),
            sp.GetRequiredService<SieveOptions>(),
            sp.GetRequiredService<QuotaWarnings>()));
        services.AddSingleton<SieveFilters>();
        services.AddSingleton(sp => new Core.Administration.MailboxLanguages(sp.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>()));
        services.AddSingleton<QuotaWarnings>();

        services.TryAddSingleton<DkimKeys>();
        services.AddSingleton<IDkimPublication>(sp => new DnsDkimPublication(sp.GetRequiredService<Core.Dns.DnsResolver>()));
        services.AddSingleton<DkimSigning>();
        services.AddSingleton<ArcSealing>();
        services.AddSingleton(sp => new CertificateTrust(sp.GetRequiredService<RelayOptions>().CaFile));
        services.AddSingleton(sp => new SmtpSender(
            sp.GetRequiredService<RelayOptions>(), sp.GetRequiredService<MailOptions>().EffectiveHostName, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SmtpSender>>(), sp.GetRequiredService<CertificateTrust>()));
        services.AddSingleton(sp => new MtaStsPolicies(
            sp.GetRequiredService<Core.Dns.IDnsLookup>(), sp.GetRequiredService<RelayOptions>(), sp.GetRequiredService<CertificateTrust>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<MtaStsPolicies>>()));
        services.AddSingleton<IRelayTransport>(sp =>
        {
            var relay = sp.GetRequiredService<RelayOptions>();
            var dns = sp.GetRequiredService<Core.Dns.IDnsLookup>();
            return relay.Mode == RelayMode.Smarthost
                ? new SmarthostTransport(relay, sp.GetRequiredService<SmtpSender>(), sp.GetRequiredService<Core.Secrets.SecretSettings>())
                : new DirectTransport(
                    relay, new MxResolver(dns, sp.GetRequiredService<MailOptions>().EffectiveHostName), sp.GetRequiredService<SmtpSender>(),
                    new TransportSecurity(dns, relay.MtaSts ? sp.GetRequiredService<MtaStsPolicies>() : null, relay.Dane));
        });
        services.AddSingleton(sp => new RelayLoginCheck(
            sp.GetRequiredService<IRelayTransport>(), sp.GetRequiredService<RelayOptions>(), sp.GetRequiredService<ILogger<RelayLoginCheck>>()));
        services.AddSingleton(sp => new VacationResponder(
            sp.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>(), sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Inbound), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<VacationResponder>>()));
        services.AddSingleton(sp => new RelayOutbound(
            sp.GetRequiredService<IRelayTransport>(), sp.GetRequiredService<DkimSigning>(), sp.GetRequiredService<VacationResponder>(),
            sp.GetRequiredService<NonDeliveryReports>(), sp.GetRequiredService<IAccountDirectory>(), sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Inbound), sp.GetRequiredService<QueueOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RelayOutbound>>(), sp.GetRequiredService<ArcSealing>()));
        return services;
    }
}
