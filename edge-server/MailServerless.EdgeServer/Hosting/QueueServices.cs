using Amazon.S3;
using Amazon.SQS;
using MailServerless.Aws;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Where the queues and bodies live (<c>Mail:Queue:Provider</c>).</summary>
public enum QueueProvider
{
    /// <summary>The on-disk spool in <c>&lt;DataDirectory&gt;/spool</c>: one machine.</summary>
    Spool,

    /// <summary>SQS queues with the bodies in an S3 bucket: edge servers and workers on several machines.</summary>
    Sqs,
}

/// <summary>The <c>Mail:Queue</c> settings beyond the workers' own.</summary>
public sealed class QueueSettings
{
    public QueueProvider Provider { get; set; } = QueueProvider.Spool;

    public string InboundUrl { get; set; } = string.Empty;

    public string OutboundUrl { get; set; } = string.Empty;

    /// <summary>How long a received SQS message stays hidden; renewed while a worker holds it.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Registers the inbound and outbound queues (keyed <see cref="Inbound"/> / <see cref="Outbound"/>) and the
/// blob store: the spool on one machine, or SQS + S3 (<c>Mail:Queue:InboundUrl</c>, <c>OutboundUrl</c>,
/// <c>Mail:Blob:Bucket</c>, <c>Mail:Aws:ServiceUrl</c> for an emulator).
/// </summary>
public static class QueueServices
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    public static QueueSettings Settings(IConfiguration configuration) =>
        configuration.GetSection("Mail:Queue").Get<QueueSettings>() ?? new QueueSettings();

    public static IServiceCollection AddMailQueues(this IServiceCollection services, MailOptions options, IConfiguration configuration)
    {
        var settings = Settings(configuration);
        var processorOptions = configuration.GetSection("Mail:Queue").Get<QueueProcessorOptions>() ?? new QueueProcessorOptions();
        services.AddSingleton(settings);
        services.AddSingleton(processorOptions);
        return settings.Provider == QueueProvider.Sqs
            ? services.AddSqsQueues(settings, configuration)
            : services.AddSpool(options, processorOptions);
    }

    private static IServiceCollection AddSpool(this IServiceCollection services, MailOptions options, QueueProcessorOptions processorOptions)
    {
        var spool = Path.Combine(options.EffectiveDataDirectory, "spool");
        services.AddSingleton(_ => new SpoolBlobStore(Path.Combine(spool, "bodies")));
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<SpoolBlobStore>());
        foreach (var name in new[] { Inbound, Outbound })
        {
            services.AddKeyedSingleton(name, (sp, _) => new SpoolQueue(
                spool, name, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SpoolQueue>>(),
                processorOptions.MaxLifetime + TimeSpan.FromDays(1)));
            services.AddKeyedSingleton<IMessageQueue>(name, (sp, key) => sp.GetRequiredKeyedService<SpoolQueue>(key));
        }

        return services;
    }

    private static IServiceCollection AddSqsQueues(this IServiceCollection services, QueueSettings settings, IConfiguration configuration)
    {
        var aws = configuration.GetSection("Mail:Aws").Get<AwsOptions>() ?? new AwsOptions();
        var bucket = configuration["Mail:Blob:Bucket"];
        foreach (var (key, value) in new[] { ("Mail:Queue:InboundUrl", settings.InboundUrl), ("Mail:Queue:OutboundUrl", settings.OutboundUrl), ("Mail:Blob:Bucket", bucket) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new InvalidOperationException($"Mail:Queue:Provider is Sqs but {key} is empty");
            }
        }

        services.AddSingleton<IAmazonSQS>(_ => aws.CreateSqsClient());
        services.AddSingleton<IAmazonS3>(_ => aws.CreateS3Client());
        services.AddSingleton<IBlobStore>(sp => new S3BlobStore(sp.GetRequiredService<IAmazonS3>(), bucket!));
        foreach (var (name, url) in new[] { (Inbound, settings.InboundUrl), (Outbound, settings.OutboundUrl) })
        {
            services.AddKeyedSingleton<IMessageQueue>(name, (sp, _) => new SqsQueue(
                sp.GetRequiredService<IAmazonSQS>(), name, url, new S3SeenIds(sp.GetRequiredService<IAmazonS3>(), bucket!, name),
                settings.VisibilityTimeout, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SqsQueue>>()));
        }

        return services;
    }
}
