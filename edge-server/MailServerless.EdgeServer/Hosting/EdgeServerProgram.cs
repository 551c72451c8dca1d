using System.Text.RegularExpressions;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Api;
using MailServerless.EdgeServer.Hosting.Settings;
using MailServerless.EdgeServer.WebConsole;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Builds the server from its settings and runs it until it is stopped.</summary>
public static partial class EdgeServerProgram
{
    /// <summary>Runs the server; a setting that cannot work (a taken port among them) is one <c>error:</c> line and exit code 2.</summary>
    public static async Task<int> ServeAsync(string[] settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            await using var app = BuildApplication(settings);
            return await ServeAsync(app, output);
        }
        catch (Exception e) when (e is DirectoryConfigurationException or SettingsException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return Cli.MailServerlessCommandLine.BadSetting;
        }
    }

    /// <param name="settings">Settings as on the command line (<c>--Mail:DataDirectory=...</c>).</param>
    /// <exception cref="SettingsException">A setting is unknown or cannot work.</exception>
    public static WebApplication BuildApplication(string[] settings)
    {
        // appsettings.json ships beside the binary; relative paths in settings are from the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = settings,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Exactly the sources the command line reads (HostSettings), so both find the same directory.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddMailSources(settings);

        // The mode decides what is registered; a bad one is named by the settings check below.
        var mode = ServerModes.TryParse(builder.Configuration["Mail:Mode"]) ?? ServerMode.AllInOne;
        builder.Services.AddMailSettings(builder.Configuration, EdgeSettings.Catalog);
        builder.Services.AddMailDirectory();
        builder.Services.AddMailDns();
        builder.Services.AddMailQueues();
        builder.Services.AddMailFunctions();
        if (mode.RunsWorkers())
        {
            builder.Services.AddQueueWorkers();
        }

        builder.Services.AddMailProtocols();
        builder.Services.AddAdminApi();
        builder.Services.AddWebConsole();
        builder.Services.AddMailMetrics();
        builder.Services.AddAcme();
        builder.WebHost.ConfigureMailListeners(mode.ServesMail());
        // Building makes the server, whose listeners read the settings: bad ones stop it here, each named.
        var app = SettingsRegistration.Checked(builder.Build);
        SettingsRegistration.ValidateAtStart(app.Services);
        app.UseHttpHardening();
        var console = ConsoleHosting.Serves(app.Services);
        if (console)
        {
            app.UseWebConsole();
        }

        app.MapMetricsEndpoint();
        app.MapAcmeChallenges();
        app.MapStatusEndpoints(nameAtRoot: !console);
        if (mode.ServesApi())
        {
            app.MapAdminEndpoints();
        }

        if (console)
        {
            app.MapWebConsole();
        }

        return app;
    }

    private static async Task<int> ServeAsync(WebApplication app, TextWriter console)
    {
        var options = app.Services.GetRequiredService<MailOptions>();
        var mode = ServerModes.Parse(options.Mode);
        // Each port is tried first, so that a taken one is one line naming its setting (Kestrel would log a trace first).
        foreach (var (setting, address, port, _) in MailListeners.Listeners(options, mode.ServesMail()))
        {
            if (MailListeners.TryBind(address, port) is { } refusal)
            {
                throw new SettingsException($"Mail:Listeners:{setting}: cannot listen on {address}:{port}: {refusal}");
            }
        }

        // Held from here to exit (the kernel drops it however the process ends): admin restore refuses meanwhile, and
        // a server does not start while a restore writes. Taken before the schema is touched.
        StartupTasks.EnsureDataDirectory(options);
        using var running = Core.Backup.DataDirectoryLock.HoldWhileServing(options.EffectiveDataDirectory);
        await StartupTasks.PrepareAsync(app.Services, console, app.Lifetime.ApplicationStopping);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            throw new SettingsException(ListenerFailure(options, e), e);
        }

        // The command line's way in (admin queue ...), once the HTTP listener answers.
        app.Services.GetRequiredService<ControlToken>().Publish();
        ListenerReport.Print(app, options, console);
        using var notifier = ServiceManagerNotifier.FromEnvironment();
        using var reload = ReloadOnHangup.Register(app, notifier);
        var notifications = notifier?.RunAsync(
            app.Services.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>(), $"mode {options.Mode}, host name {options.EffectiveHostName}",
            app.Lifetime.ApplicationStopping) ?? Task.CompletedTask;
        await app.WaitForShutdownAsync();
        await notifications;
        return 0;
    }

    /// <summary>
    /// A listener that could not bind, named by its setting: Kestrel says "Failed to bind to address
    /// http://127.0.0.1:2525: address already in use."
    /// </summary>
    private static string ListenerFailure(MailOptions options, IOException error)
    {
        var cause = (error.InnerException ?? error).Message.TrimEnd('.');
        var port = BoundPort().Match(error.Message) is { Success: true } match ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
        var mode = ServerModes.Parse(options.Mode);
        var listener = MailListeners.Listeners(options, mode.ServesMail()).FirstOrDefault(l => l.Port == port);
        return listener.Setting is null
            ? $"cannot listen: {error.Message.TrimEnd('.')}"
            : $"Mail:Listeners:{listener.Setting}: cannot listen on {listener.Address}:{port}: {cause}";
    }

    [GeneratedRegex(@":(\d{1,5})(?:[^\d]|$)")]
    private static partial Regex BoundPort();
}
