using Microsoft.Extensions.DependencyInjection.Extensions;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// The functions, bound to nothing yet: <see cref="DeliverInbound"/> with its bounces, and
/// <see cref="RelayOutbound"/> with the relay transport of <c>Mail:Relay</c>, DKIM signing
/// (<c>Mail:Dkim</c>) and vacation replies. <see cref="QueueWorkers"/> or a Lambda handler runs them.
/// </summary>
public static class FunctionServices
{
    public static IServiceCollection AddMailFunctions(this IServiceCollection services, MailOptions options, IConfiguration configuration)
    {
        var deliveryOptions = configuration.GetSection("Mail:Delivery").Get<DeliveryOptions>() ?? new DeliveryOptions();
        if (configuration["Mail:Delivery:HostName"] is null)
        {
            deliveryOptions.HostName = options.EffectiveHostName;
        }

        services.AddSingleton(deliveryOptions);
        services.AddSingleton(sp => new NonDeliveryReports(
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Inbound), deliveryOptions,
            sp.GetRequiredService<ILogger<NonDeliveryReports>>()));
        services.AddSingleton(sp => new DeliverInbound(
            sp.GetRequiredService<RecipientResolver>(),
            sp.GetRequiredService<MaildirStore>(),
            sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Outbound),
            sp.GetRequiredService<NonDeliveryReports>(),
            deliveryOptions,
            sp.GetRequiredService<ILogger<DeliverInbound>>()));

        var relay = configuration.GetSection("Mail:Relay").Get<RelayOptions>() ?? new RelayOptions();
        if (relay.Mode == RelayMode.Smarthost && string.IsNullOrWhiteSpace(relay.Host))
        {
            throw new InvalidOperationException("Mail:Relay:Mode is Smarthost but Mail:Relay:Host is empty");
        }

        services.AddSingleton(relay);
        services.TryAddSingleton(configuration.GetSection("Mail:Dkim").Get<DkimOptions>() ?? new DkimOptions());
        services.TryAddSingleton<DkimKeys>();
        services.AddSingleton<IDkimPublication>(new DnsDkimPublication(relay));
        services.AddSingleton<DkimSigning>();
        services.AddSingleton(sp => new SmtpSender(relay, options.EffectiveHostName, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SmtpSender>>()));
        services.AddSingleton<IRelayTransport>(sp => relay.Mode == RelayMode.Smarthost
            ? new SmarthostTransport(relay, sp.GetRequiredService<SmtpSender>())
            : new DirectTransport(relay, new MxResolver(relay, options.EffectiveHostName), sp.GetRequiredService<SmtpSender>()));
        services.AddSingleton(sp => new VacationResponder(
            sp.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>(), sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Inbound), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<VacationResponder>>()));
        services.AddSingleton(sp => new RelayOutbound(
            sp.GetRequiredService<IRelayTransport>(), sp.GetRequiredService<DkimSigning>(), sp.GetRequiredService<VacationResponder>(),
            sp.GetRequiredService<NonDeliveryReports>(), sp.GetRequiredService<IAccountDirectory>(), sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Inbound), sp.GetRequiredService<QueueProcessorOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RelayOutbound>>()));
        return services;
    }
}
