namespace MailServerless.EdgeServer.Hosting.Settings;

/// <summary>
/// Settings given on the command line the ASP.NET Core way (<c>--Mail:DataDirectory=/srv/mail</c>, or
/// <c>--Mail:DataDirectory /srv/mail</c>): a name with a section (a colon) is a setting, wherever it stands;
/// the rest are the command's own words and options.
/// </summary>
public static class HostSettings
{
    public static (string[] Settings, string[] Command) Split(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new List<string>();
        var command = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..].Split('=', 2)[0] : string.Empty;
            if (!name.Contains(':', StringComparison.Ordinal))
            {
                command.Add(arg);
            }
            else if (arg.Contains('=', StringComparison.Ordinal))
            {
                settings.Add(arg);
            }
            else if (i + 1 < args.Count)
            {
                settings.Add($"{arg}={args[++i]}");
            }
            else
            {
                command.Add(arg); // a setting without its value: the command line's check names it
            }
        }

        return (settings.ToArray(), command.ToArray());
    }

    /// <summary>
    /// The sources the server reads, later ones winning: appsettings.json beside the binary, appsettings.{environment}.json,
    /// environment variables, then <paramref name="settings"/>. The command line uses exactly these, so it finds the
    /// same directory and data as the server.
    /// </summary>
    public static IConfigurationBuilder AddMailSources(this IConfigurationBuilder builder, string[] settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
                          ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        return builder
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine(settings);
    }
}
