using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MailServerless.Functions;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// The one-machine pipeline: the on-disk spool (<c>&lt;DataDirectory&gt;/spool</c>) with its inbound and
/// outbound queues and bodies, and in-process workers running <see cref="DeliverInbound"/>.
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

        services.AddSingleton(sp => new DeliverInbound(
            sp.GetRequiredService<RecipientResolver>(),
            sp.GetRequiredService<MaildirStore>(),
            sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredKeyedService<IMessageQueue>(Inbound),
            sp.GetRequiredKeyedService<IMessageQueue>(Outbound),
            deliveryOptions,
            sp.GetRequiredService<ILogger<DeliverInbound>>()));
        services.AddHostedService<InboundDeliveryService>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = processorOptions.ShutdownGrace + TimeSpan.FromSeconds(5));
        return services;
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
