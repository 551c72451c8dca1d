using MailServerless.Core.Queue;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// The workers that run the functions over their queues for the life of the host (all-in-one, or an
/// EC2 worker polling SQS): <see cref="DeliverInbound"/> on the inbound queue, <see cref="RelayOutbound"/>
/// on the outbound one. A stop lets messages being handled finish within <c>Mail:Queue:ShutdownGrace</c>.
/// </summary>
public static class QueueWorkers
{
    public static IServiceCollection AddQueueWorkers(this IServiceCollection services)
    {
        services.AddHostedService<InboundDeliveryService>();
        services.AddHostedService<OutboundRelayService>();
        services.AddOptions<HostOptions>().Configure<QueueOptions>((host, queue) => host.ShutdownTimeout = queue.ShutdownGrace + TimeSpan.FromSeconds(5));
        return services;
    }
}

/// <summary>Runs <see cref="DeliverInbound"/>; on the spool, first removes bodies no envelope refers to.</summary>
public sealed class InboundDeliveryService(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!QueueServices.UsesSqs(services))
        {
            var blobs = services.GetRequiredService<SpoolBlobStore>();
            var inbound = services.GetRequiredKeyedService<SpoolQueue>(QueueServices.Inbound);
            var outbound = services.GetRequiredKeyedService<SpoolQueue>(QueueServices.Outbound);
            blobs.RemoveOrphans([inbound.ReferencedBodyKeys(), outbound.ReferencedBodyKeys()], TimeSpan.FromHours(1));
        }

        await QueueServices.Processor(services, QueueServices.Inbound, services.GetRequiredService<DeliverInbound>()).RunAsync(stoppingToken);
    }
}

/// <summary>Runs <see cref="RelayOutbound"/>, after checking that the smarthost takes our login (<see cref="RelayLoginCheck"/>).</summary>
public sealed class OutboundRelayService(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await services.GetRequiredService<RelayLoginCheck>().RunAsync(stoppingToken);
        await QueueServices.Processor(services, QueueServices.Outbound, services.GetRequiredService<RelayOutbound>()).RunAsync(stoppingToken);
    }
}
