using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Api;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Builds the host from configuration and runs the requested command.</summary>
public static class EdgeServerProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        var isSetup = args.Length > 0 && string.Equals(args[0], "setup", StringComparison.OrdinalIgnoreCase);
        var isAdmin = args.Length > 0 && string.Equals(args[0], "admin", StringComparison.OrdinalIgnoreCase);
        WebApplication app;
        try
        {
            // The admin command's own words and options are not host settings; --Key=value ones are.
            app = isAdmin
                ? BuildApplication(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal) &&
                                                      a[..a.IndexOf('=', StringComparison.Ordinal)].Contains(':', StringComparison.Ordinal)).ToArray(), commandLine: true)
                : BuildApplication(isSetup ? args[1..] : args);
        }
        catch (Exception e) when (e is DirectoryConfigurationException or ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }

        try
        {
            if (isAdmin)
            {
                StartupTasks.EnsureDataDirectory(app.Services.GetRequiredService<MailOptions>());
                return await Cli.AdminCommand.RunAsync(app.Services, args[1..], Console.In, Console.Out, Console.Error);
            }

            return isSetup
                ? await SetupCommand.RunAsync(app.Services, app.Configuration, Console.In, Console.Out, CancellationToken.None)
                : await ServeAsync(app);
        }
        catch (DirectoryConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
    }

    public static WebApplication BuildApplication(string[] args, bool commandLine = false)
    {
        // appsettings.json ships beside the binary; relative paths in settings are from the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (commandLine)
        {
            // Standard output is the command's answer (perhaps JSON): only warnings and errors are logged.
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }

        var options = builder.Configuration.GetSection(MailOptions.SectionName).Get<MailOptions>() ?? new MailOptions();
        // The admin and setup commands work on the directory whatever the mode.
        var mode = commandLine ? ServerMode.AllInOne : ServerModes.Parse(options.Mode);
        var queues = QueueServices.Settings(builder.Configuration);
        if (mode is ServerMode.Edge or ServerMode.Worker && queues.Provider != QueueProvider.Sqs)
        {
            throw new ArgumentException($"Mail:Mode {mode} shares its queues with other machines: set Mail:Queue:Provider to Sqs.");
        }

        builder.Services.AddMailDirectory(options);
        builder.Services.AddMailQueues(options, builder.Configuration);
        builder.Services.AddMailFunctions(options, builder.Configuration);
        if (mode.RunsWorkers() && !commandLine)
        {
            builder.Services.AddQueueWorkers(builder.Configuration.GetSection("Mail:Queue").Get<Core.Queue.QueueProcessorOptions>() ?? new());
        }

        builder.Services.AddMailProtocols(builder.Configuration);
        builder.Services.AddAdminApi(builder.Configuration, deliverWelcomeDirectly: commandLine);
        builder.WebHost.ConfigureMailListeners(options, mode.ServesMail());
        var app = builder.Build();
        app.MapStatusEndpoints();
        if (mode.ServesApi())
        {
            app.MapAdminEndpoints();
        }

        return app;
    }

    private static async Task<int> ServeAsync(WebApplication app)
    {
        var options = app.Services.GetRequiredService<MailOptions>();
        await StartupTasks.PrepareAsync(app.Services, Console.Out, app.Lifetime.ApplicationStopping);
        await app.StartAsync();
        ListenerReport.Print(app, options, Console.Out);
        await app.WaitForShutdownAsync();
        return 0;
    }
}
