using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailServerless.EdgeServer.Hosting;
using MailServerless.Hosting.Settings;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Hosting;

/// <summary>
/// Settings are checked before the server does anything: a misspelt key or a taken port stops it with one
/// <c>error:</c> line naming the setting, and exit code 2; and every setting is documented in docs/configuration.md.
/// </summary>
public sealed partial class SettingsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "msl-set-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private async Task<ProcessRunner.Result> StartAsync(IDictionary<string, string>? environment, params string[] settings) =>
        await ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, $"--Mail:DataDirectory={_data}", .. settings],
            environment: environment, timeout: TimeSpan.FromSeconds(60));

    [Fact]
    public async Task A_misspelt_setting_stops_start_up_with_one_line_naming_it_and_the_nearest_setting()
    {
        var onCommandLine = await StartAsync(null, "--Mail:Smtp:MaxMesageSize=5");
        var inEnvironment = await StartAsync(new Dictionary<string, string> { ["Mail__Queue__Wrkers"] = "8" });

        Assert.Equal(2, onCommandLine.ExitCode);
        Assert.Equal(string.Empty, onCommandLine.Output);
        Assert.Equal("error: Mail:Smtp:MaxMesageSize (on the command line) is not a setting; did you mean Mail:Smtp:MaxMessageSize?",
            onCommandLine.Error.TrimEnd());
        Assert.Equal(2, inEnvironment.ExitCode);
        Assert.Equal("error: Mail:Queue:Wrkers (environment variable Mail__Queue__Wrkers) is not a setting; did you mean Mail:Queue:Workers?",
            inEnvironment.Error.TrimEnd());
        Assert.False(Directory.Exists(_data), "nothing is made before the settings are checked");
    }

    [Fact]
    public async Task A_bad_value_or_settings_that_cannot_work_together_stop_start_up_with_one_line()
    {
        var notANumber = await StartAsync(null, "--Mail:Smtp:MaxErrors=many");
        var negative = await StartAsync(null, "--Mail:Imap:MaxErrors=-1");
        var sameport = await StartAsync(null, "--Mail:Listeners:Smtp=2600", "--Mail:Listeners:Imap=2600");
        var smarthost = await StartAsync(null, "--Mail:Relay:Mode=Smarthost");

        Assert.Equal((2, "error: Failed to convert configuration value 'many' at 'Mail:Smtp:MaxErrors' to type 'System.Int32'"), (notANumber.ExitCode, notANumber.Error.TrimEnd()));
        Assert.Equal((2, "error: Mail:Imap:MaxErrors is -1: it cannot be negative"), (negative.ExitCode, negative.Error.TrimEnd()));
        Assert.Equal((2, "error: Mail:Listeners:Smtp and Mail:Listeners:Imap are all port 2600"), (sameport.ExitCode, sameport.Error.TrimEnd()));
        Assert.Equal((2, "error: Mail:Relay:Mode is Smarthost but Mail:Relay:Host is empty"), (smarthost.ExitCode, smarthost.Error.TrimEnd()));
    }

    [Fact]
    public async Task A_taken_port_stops_start_up_with_one_line_naming_its_setting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var http = EdgeServerProcess.FreePort();

        var result = await StartAsync(null, $"--Mail:Listeners:Http={http}", $"--Mail:Listeners:Submission={port}", "--Mail:Listeners:Smtp=0",
            "--Mail:Listeners:Submissions=0", "--Mail:Listeners:Imap=0", "--Mail:Listeners:Imaps=0", "--Mail:Listeners:Pop3=0", "--Mail:Listeners:Pop3s=0", "--Mail:Listeners:ManageSieve=0");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Output);
        Assert.Equal($"error: Mail:Listeners:Submission: cannot listen on 127.0.0.1:{port}: Address already in use", result.Error.TrimEnd());
    }

    [Fact]
    public void Every_setting_is_found_by_its_key_and_other_keys_are_not()
    {
        Assert.NotEmpty(EdgeSettings.Catalog.Keys);
        Assert.All(EdgeSettings.Catalog.Keys, key => Assert.NotNull(EdgeSettings.Catalog.Find(key)));
        Assert.NotNull(EdgeSettings.Catalog.Find("mail:smtp:maxmessagesize")); // keys ignore case, as configuration does
        Assert.Null(EdgeSettings.Catalog.Find("Mail:Admin:DefaultAliases:0"));
        Assert.Null(EdgeSettings.Catalog.Find("Mail:Smtp:MaxMessageSize:Extra"));
        Assert.Null(EdgeSettings.Catalog.Find("Mail:Directory:Nope"));
        Assert.Null(EdgeSettings.Catalog.Find("Mail:Nope"));
        Assert.Equal("Mail:Dkim:Enabled", NearestName.Find("Mail:Dkim:Enable", EdgeSettings.Catalog.Keys));
        Assert.Null(NearestName.Find("Mail:Completely:Different", EdgeSettings.Catalog.Keys));
    }

    /// <summary>docs/configuration.md's table: a row per setting; none missing, none that does not exist.</summary>
    [Fact]
    public void The_configuration_document_lists_every_setting_and_nothing_else()
    {
        var document = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        var documented = DocumentedKey().Matches(document).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var settings = EdgeSettings.Catalog.Keys;

        var undocumented = settings.Where(k => !documented.Contains(k)).ToList();
        var unknown = documented.Where(k => EdgeSettings.Catalog.Find(k) is null).ToList();
        Assert.True(undocumented.Count == 0, "not in docs/configuration.md: " + string.Join(", ", undocumented));
        Assert.True(unknown.Count == 0, "in docs/configuration.md but not settings: " + string.Join(", ", unknown));
    }

    /// <summary>A table row's first cell: <c>| `Mail:Smtp:MaxMessageSize` |</c>.</summary>
    [GeneratedRegex(@"^\| `(Mail:[A-Za-z0-9:]+)` \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedKey();
}
