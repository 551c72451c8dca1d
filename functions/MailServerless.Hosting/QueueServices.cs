using Amazon.S3;
using Amazon.SQS;
using MailServerless.Aws;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;

namespace MailServerless.Hosting;

/// <summary>
/// Registers the inbound and outbound queues (keyed <see cref="Inbound"/> / <see cref="Outbound"/>) and the
/// blob store, chosen by <c>Mail:Queue:Provider</c> when first used: the spool on one machine, or SQS + S3
/// (<c>Mail:Queue:InboundUrl</c>, <c>OutboundUrl</c>, <c>Mail:Blob:Bucket</c>, <c>Mail:Aws:ServiceUrl</c> for an emulator).
/// </summary>
public static class QueueServices
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    public static IServiceCollection AddMailQueues(this IServiceCollection services)
    {
        services.AddSingleton(sp => new SpoolBlobStore(Path.Combine(SpoolFolder(sp), "bodies")));
        services.AddSingleton<IAmazonSQS>(sp => sp.GetRequiredService<AwsOptions>().CreateSqsClient());
        services.AddSingleton<IAmazonS3>(sp => sp.GetRequiredService<AwsOptions>().CreateS3Client());
        services.AddSingleton<IBlobStore>(sp => UsesSqs(sp)
            ? new S3BlobStore(sp.GetRequiredService<IAmazonS3>(), sp.GetRequiredService<BlobOptions>().Bucket)
            : sp.GetRequiredService<SpoolBlobStore>());
        foreach (var name in new[] { Inbound, Outbound })
        {
            services.AddKeyedSingleton(name, (sp, _) => new SpoolQueue(
                SpoolFolder(sp), name, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SpoolQueue>>(),
                sp.GetRequiredService<QueueOptions>().MaxLifetime + TimeSpan.FromDays(1)));
            services.AddKeyedSingleton<IMessageQueue>(name, (sp, key) => UsesSqs(sp) ? Sqs(sp, name) : sp.GetRequiredKeyedService<SpoolQueue>(key));
        }

        return services;
    }

    /// <summary>The processor that runs <paramref name="function"/> over the queue <paramref name="queue"/>, on a worker or in a Lambda invocation.</summary>
    public static QueueProcessor Processor(IServiceProvider services, string queue, IQueueFunction function) => new(
        services.GetRequiredKeyedService<IMessageQueue>(queue), services.GetRequiredService<IBlobStore>(), function,
        services.GetRequiredService<QueueOptions>(), services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<QueueProcessor>>());

    /// <summary>True when the queues are SQS and the bodies in S3 (<c>Mail:Queue:Provider=Sqs</c>).</summary>
    public static bool UsesSqs(IServiceProvider services) =>
        services.GetRequiredService<QueueOptions>().Provider == QueueProvider.Sqs;

    private static string SpoolFolder(IServiceProvider services) =>
        Path.Combine(services.GetRequiredService<MailOptions>().EffectiveDataDirectory, "spool");

    private static SqsQueue Sqs(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<QueueOptions>();
        var bucket = services.GetRequiredService<BlobOptions>().Bucket;
        return new SqsQueue(
            services.GetRequiredService<IAmazonSQS>(), name, name == Inbound ? options.InboundUrl : options.OutboundUrl,
            new S3SeenIds(services.GetRequiredService<IAmazonS3>(), bucket, name), options.VisibilityTimeout,
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<SqsQueue>>(),
            new S3HeldMessages(services.GetRequiredService<IAmazonS3>(), bucket, name));
    }
}
