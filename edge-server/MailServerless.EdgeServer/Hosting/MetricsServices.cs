using System.Diagnostics.Metrics;
using MailServerless.Core.Configuration;
using MailServerless.Core.Diagnostics;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Api;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// <c>/metrics</c> in Prometheus's text format (OpenTelemetry's exporter): the server's own meter
/// (<see cref="MailMetrics"/>), the queues' depth and age, the certificate's expiry, and .NET's runtime and
/// Kestrel meters. On the HTTP listener it takes a superadmin's credentials or API key (Prometheus's
/// <c>basic_auth</c> or <c>authorization</c>); on <c>Mail:Listeners:Metrics</c> it takes none, and nothing else is served there.
/// </summary>
public static class MetricsServices
{
    public const string Path = "/metrics";

    public static IServiceCollection AddMailMetrics(this IServiceCollection services)
    {
        services.AddSingleton<ServerGauges>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mailserverless", serviceVersion: typeof(MetricsServices).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics => metrics
            .AddMeter(MailMetrics.MeterName, "System.Runtime", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    public static void MapMetricsEndpoint(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Made now, so the gauges exist before the first scrape.
        app.Services.GetRequiredService<ServerGauges>();
        var metricsPort = app.Services.GetRequiredService<MailOptions>().Listeners.Metrics;
        app.Use(async (context, next) =>
        {
            // The unauthenticated port answers for metrics and health only.
            if (metricsPort > 0 && context.Connection.LocalPort == metricsPort &&
                !(context.Request.Path.Equals(Path, StringComparison.Ordinal) || context.Request.Path.Equals("/health", StringComparison.Ordinal)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
        {
            if (metricsPort == 0 || context.Connection.LocalPort != metricsPort)
            {
                var (actor, refusal) = await context.RequestServices.GetRequiredService<ApiAuthentication>().AuthenticateAsync(context);
                refusal ??= actor is { IsSuperadmin: false }
                    ? TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Metrics are for superadmins.")
                    : null;
                if (refusal is not null)
                {
                    await refusal.ExecuteAsync(context);
                    return;
                }
            }

            await next(context);
        }), optionsName: null);
    }
}

/// <summary>
/// The gauges read when scraped: each queue's waiting, in-flight and dead messages and the age of its oldest, and the
/// days the served certificate has left. A queue that answers slowly (SQS) gives its last answer, and is asked again
/// for the next scrape.
/// </summary>
public sealed class ServerGauges
{
    private readonly IReadOnlyList<IQueueStatistics> _queues;
    private readonly Dictionary<string, QueueStatistics> _last = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<QueueStatistics>> _pending = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private readonly TimeProvider _clock;

    public ServerGauges(IServiceProvider services, Protocol.TlsCertificateProvider certificates, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(certificates);
        _clock = clock;
        _queues = new[] { QueueServices.Inbound, QueueServices.Outbound }
            .Select(name => services.GetRequiredKeyedService<IMessageQueue>(name))
            .OfType<IQueueStatistics>()
            .ToList();
        var meter = MailMetrics.Meter;
        meter.CreateObservableGauge("mailserverless.queue.messages", () => Observe(s => new[]
        {
            new Measurement<long>(s.Waiting, new("queue", s.Queue), new("state", "waiting")),
            new Measurement<long>(s.InFlight, new("queue", s.Queue), new("state", "in_flight")),
            new Measurement<long>(s.Held, new("queue", s.Queue), new("state", "held")),
            new Measurement<long>(s.Dead, new("queue", s.Queue), new("state", "dead")),
        }), "{message}", "Messages in each queue, by state (waiting, in_flight, held, dead).");
        meter.CreateObservableGauge("mailserverless.queue.oldest_age", () => Observe(s => s.OldestReceivedAt is { } oldest
            ? new[] { new Measurement<double>(Math.Max(0, (_clock.GetUtcNow() - oldest).TotalSeconds), new KeyValuePair<string, object?>("queue", s.Queue)) }
            : []), "s", "Age of the oldest message in each queue (the spool; SQS does not say).");
        meter.CreateObservableGauge("mailserverless.tls.certificate.expiry", () => CertificateExpiry(certificates), "s",
            "Seconds until the served certificate's notAfter.");
    }

    private double CertificateExpiry(Protocol.TlsCertificateProvider certificates)
    {
        try
        {
            return (new DateTimeOffset(certificates.Certificate.NotAfter.ToUniversalTime()) - _clock.GetUtcNow()).TotalSeconds;
        }
        catch (Core.Accounts.DirectoryConfigurationException)
        {
            // A certificate that cannot be loaded has no expiry to tell; the listeners say why.
            return 0;
        }
    }

    private IEnumerable<Measurement<T>> Observe<T>(Func<QueueStatistics, IEnumerable<Measurement<T>>> measure)
        where T : struct
    {
        foreach (var queue in _queues)
        {
            if (Current(queue) is { } statistics)
            {
                foreach (var measurement in measure(statistics))
                {
                    yield return measurement;
                }
            }
        }
    }

    /// <summary>The queue's answer if it came at once, else its last one (and a fresh question for next time).</summary>
    private QueueStatistics? Current(IQueueStatistics queue)
    {
        lock (_sync)
        {
            if (!_pending.TryGetValue(queue.Name, out var task) || task.IsCompleted)
            {
                if (task is { IsCompletedSuccessfully: true })
                {
                    _last[queue.Name] = task.Result;
                }
                else if (task is { IsFaulted: true })
                {
                    // Unreachable for now (SQS down): the last answer stands; the failure is seen and let go.
                    _ = task.Exception;
                }

                task = queue.StatisticsAsync(CancellationToken.None);
                _pending[queue.Name] = task;
            }

            if (task.IsCompletedSuccessfully)
            {
                _last[queue.Name] = task.Result;
            }

            return _last.GetValueOrDefault(queue.Name);
        }
    }
}
