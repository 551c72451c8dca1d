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
        WebApplication app;
        try
        {
            app = BuildApplication(isSetup ? args[1..] : args);
        }
        catch (Exception e) when (e is DirectoryConfigurationException or ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }

        try
        {
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

    public static WebApplication BuildApplication(string[] args)
    {
        // appsettings.json ships beside the binary; relative paths in settings are from the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        var options = builder.Configuration.GetSection(MailOptions.SectionName).Get<MailOptions>() ?? new MailOptions();
        builder.Services.AddMailDirectory(options);
        builder.Services.AddMailQueues(options, builder.Configuration);
        builder.Services.AddMailProtocols(builder.Configuration);
        builder.Services.AddAdminApi(builder.Configuration);
        builder.WebHost.ConfigureMailListeners(options);
        var app = builder.Build();
        app.MapStatusEndpoints();
        app.MapAdminEndpoints();
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
