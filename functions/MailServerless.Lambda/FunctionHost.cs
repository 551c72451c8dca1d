using MailServerless.Aws;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Hosting;
using MailServerless.Hosting.Settings;

namespace MailServerless.Lambda;

/// <summary>
/// The services of a Lambda function: the same registrations as a worker (directory, Maildir store on
/// EFS, SQS + S3, the functions), configured from the function's environment (<c>Mail__Queue__Provider=Sqs</c>,
/// <c>Mail__Directory__ConnectionString</c>, ...), built once per execution environment and reused by
/// every invocation it serves.
/// </summary>
public static class FunctionHost
{
    private static readonly Lock Gate = new();
    private static IConfiguration? _configuration;
    private static IServiceProvider? _services;

    /// <summary>Replaces the environment as the source of settings (tests); only before the first invocation.</summary>
    public static void UseConfiguration(IConfiguration configuration)
    {
        lock (Gate)
        {
            _configuration = configuration;
            _services = null;
        }
    }

    public static IServiceProvider Services
    {
        get
        {
            lock (Gate)
            {
                return _services ??= Build(_configuration ?? new ConfigurationBuilder().AddEnvironmentVariables().Build());
            }
        }
    }

    private static ServiceProvider Build(IConfiguration configuration)
    {
        Core.Storage.PrivateFiles.RestrictProcessUmask();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
        services.AddSingleton(configuration);
        services.AddMailSettings(configuration);
        services.AddMailDirectory();
        services.AddMailDns();
        services.AddMailQueues();
        services.AddMailFunctions();
        var provider = services.BuildServiceProvider();
        SettingsRegistration.ValidateAtStart(provider);
        if (!QueueServices.UsesSqs(provider))
        {
            throw new SettingsException("a Lambda function works on SQS: set Mail__Queue__Provider=Sqs");
        }

        return provider;
    }

    /// <summary>Runs one invocation's SQS event through <paramref name="function"/> on the queue it is bound to.</summary>
    public static async Task<Stream> InvokeAsync(Stream input, string queueName, Func<IServiceProvider, IQueueFunction> function)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(function);
        using var reader = new StreamReader(input);
        var eventJson = await reader.ReadToEndAsync();
        var services = Services;
        var handler = new SqsBatchHandler(
            QueueServices.Processor(services, queueName, function(services)),
            (SqsQueue)services.GetRequiredKeyedService<IMessageQueue>(queueName),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<SqsBatchHandler>>());
        var response = await handler.HandleAsync(eventJson, CancellationToken.None);
        return new MemoryStream(System.Text.Encoding.UTF8.GetBytes(response));
    }
}
