using Microsoft.Extensions.DependencyInjection.Extensions;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// The one-machine pipeline: the on-disk spool (<c>&lt;DataDirectory&gt;/spool</c>) with its inbound and
/// outbound queues and bodies, and in-process workers running <see cref="DeliverInbound"/> on the
/// inbound queue and <see cref="RelayOutbound"/> on the outbound one.
/// </summary>
public static class QueueServices
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    public static IServiceCollection AddMailQueues(this IServiceCollection services, MailOptions options, IConfiguration configuration)
    {
        var spool = Path.Combine(options.EffectiveDataDirectory, "spool");
        var processorOptions = configuration.GetSection("Mail:Queue").Get<QueueProcessorOptions>() ?? new QueueProcessorOptions();
        var deliveryOptions = configuration.GetSection("Mail:Delivery").Get<DeliveryOptions>() ?? new DeliveryOptions();
        if (configuration["Mail:Delivery:HostName"] is null)
        {
            deliveryOptions.HostName = options.EffectiveHostName;
        }

        services.AddSingleton(processorOptions);
        services.AddSingleton(deliveryOptions);
        services.AddSingleton(_ => new SpoolBlobStore(Path.Combine(spool, "bodies")));
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<SpoolBlobStore>());
        foreach (var name in new[] { Inbound, Outbound })
        {
            services.AddKeyedSingleton(name, (sp, _) => new SpoolQueue(
                spool, name, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SpoolQueue>>(),
                processorOptions.MaxLifetime + TimeSpan.FromDays(1)));
            services.AddKeyedSingleton<IMessageQueue>(name, (sp, key) => sp.GetRequiredKeyedService<SpoolQueue>(key));
        }

        services.AddSingleton(sp => new NonDeliveryReports(
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredKeyedService<IMessageQueue>(Inbound), deliveryOptions,
            sp.GetRequiredService<ILogger<NonDeliveryReports>>()));
        services.AddSingleton(sp => new DeliverInbound(
            sp.GetRequiredService<RecipientResolver>(),
            sp.GetRequiredService<MaildirStore>(),
            sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(Outbound),
            sp.GetRequiredService<NonDeliveryReports>(),
            deliveryOptions,
            sp.GetRequiredService<ILogger<DeliverInbound>>()));
        services.AddOutboundRelay(options, configuration);
        services.AddHostedService<InboundDeliveryService>();
        services.AddHostedService<OutboundRelayService>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = processorOptions.ShutdownGrace + TimeSpan.FromSeconds(5));
        return services;
    }
}

/// <summary>The outbound side: the relay transport of <c>Mail:Relay</c>, DKIM signing (<c>Mail:Dkim</c>) and vacation replies.</summary>
public static class OutboundServices
{
    public static IServiceCollection AddOutboundRelay(this IServiceCollection services, MailOptions options, IConfiguration configuration)
    {
        var relay = configuration.GetSection("Mail:Relay").Get<RelayOptions>() ?? new RelayOptions();
        if (relay.Mode == RelayMode.Smarthost && string.IsNullOrWhiteSpace(relay.Host))
        {
            throw new InvalidOperationException("Mail:Relay:Mode is Smarthost but Mail:Relay:Host is empty");
        }

        services.AddSingleton(relay);
        services.TryAddSingleton(configuration.GetSection("Mail:Dkim").Get<DkimOptions>() ?? new DkimOptions());
        services.TryAddSingleton<DkimKeys>();
        services.AddSingleton<DkimSigning>();
        services.AddSingleton(sp => new SmtpSender(relay, options.EffectiveHostName, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SmtpSender>>()));
        services.AddSingleton<IRelayTransport>(sp => relay.Mode == RelayMode.Smarthost
            ? new SmarthostTransport(relay, sp.GetRequiredService<SmtpSender>())
            : new DirectTransport(relay, new MxResolver(relay), sp.GetRequiredService<SmtpSender>()));
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

/// <summary>Runs the outbound workers (<see cref="RelayOutbound"/>) for the life of the host.</summary>
public sealed class OutboundRelayService(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var processor = new QueueProcessor(
            services.GetRequiredKeyedService<SpoolQueue>(QueueServices.Outbound), services.GetRequiredService<SpoolBlobStore>(),
            services.GetRequiredService<RelayOutbound>(), services.GetRequiredService<QueueProcessorOptions>(),
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<QueueProcessor>>());
        await processor.RunAsync(stoppingToken);
    }
}

/// <summary>Runs the inbound workers for the life of the host; at start, removes bodies no envelope refers to.</summary>
public sealed class InboundDeliveryService(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var blobs = services.GetRequiredService<SpoolBlobStore>();
        var inbound = services.GetRequiredKeyedService<SpoolQueue>(QueueServices.Inbound);
        var outbound = services.GetRequiredKeyedService<SpoolQueue>(QueueServices.Outbound);
        blobs.RemoveOrphans([inbound.ReferencedBodyKeys(), outbound.ReferencedBodyKeys()], TimeSpan.FromHours(1));

        var processor = new QueueProcessor(
            inbound, blobs, services.GetRequiredService<DeliverInbound>(), services.GetRequiredService<QueueProcessorOptions>(),
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<QueueProcessor>>());
        await processor.RunAsync(stoppingToken);
    }
}
