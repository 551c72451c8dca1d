using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MailServerless.EdgeServer.Cli;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Hosting;

/// <summary>
/// The program's command line as a user and a script meet it: every command's help, every refusal's exit code, and
/// JSON that parses, run in-process on a fresh data directory (and through the real binary where the process matters).
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "msl-cli-" + Guid.NewGuid().ToString("N"), "data");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var parent = Path.GetDirectoryName(_data)!;
        if (Directory.Exists(parent))
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    /// <summary>Every command's path (<c>admin domain add</c>); the empty path is the program itself (the server).</summary>
    public static TheoryData<string> Commands() => new(AllPaths());

    private static List<string> AllPaths() =>
        Paths(MailServerlessCommandLine.CreateRoot(new CliContext([], TextReader.Null, TextWriter.Null, TextWriter.Null)), [])
            .Select(path => string.Join(' ', path)).ToList();

    private static IEnumerable<string[]> Paths(Command command, string[] path)
    {
        yield return path;
        foreach (var sub in command.Subcommands)
        {
            foreach (var nested in Paths(sub, [.. path, sub.Name]))
            {
                yield return nested;
            }
        }
    }

    /// <summary>The admin commands that do something (not groups).</summary>
    private static List<string> Leaves()
    {
        var all = AllPaths();
        return all.Where(path => path.StartsWith("admin ", StringComparison.Ordinal))
            .Where(path => !all.Any(other => other.StartsWith(path + " ", StringComparison.Ordinal))).ToList();
    }

    private async Task<(int Exit, string Output, string Error)> RunAsync(string? input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await MailServerlessCommandLine.RunAsync([.. args, $"--Mail:DataDirectory={_data}"], new StringReader(input ?? string.Empty), output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string[] Words(string path) => path.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_answers_help_with_exit_0_and_starts_nothing(string path)
    {
        // The HTTP port is held here: a server started by mistake could not bind it and would exit 2, not 0.
        using var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var port = ((IPEndPoint)held.LocalEndpoint).Port;
        foreach (var help in new[] { "--help", "-h" })
        {
            var (exit, output, error) = await RunAsync(null, [.. Words(path), help, $"--Mail:Listeners:Http={port}", "--Mail:Listeners:Smtp=0"]);

            Assert.True(exit == 0, $"{path} {help}: exit {exit}\n{error}");
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
            Assert.Equal(string.Empty, error);
        }

        Assert.False(Directory.Exists(_data), $"{path} --help made a data directory");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_refuses_an_unknown_option_with_64_naming_it(string path)
    {
        var (exit, output, error) = await RunAsync(null, [.. Words(path), "--jsno"]);

        Assert.Equal(MailServerlessCommandLine.Usage, exit);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith($"error: unknown option '--jsno' for 'mailserverless{(path.Length > 0 ? " " + path : string.Empty)}'", error, StringComparison.Ordinal);
        if (path.StartsWith("admin", StringComparison.Ordinal))
        {
            Assert.Contains("did you mean --json?", error, StringComparison.Ordinal);
        }

        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(_data));
    }

    [Fact]
    public async Task A_misspelt_option_names_the_nearest_and_a_malformed_size_says_how_to_write_one()
    {
        var misspelt = await RunAsync("long enough\n", "admin", "mailbox", "add", "user@example.jp", "--quot", "5");
        var size = await RunAsync("long enough\n", "admin", "mailbox", "add", "user@example.jp", "--quota", "5XB");
        var megabytes = await RunAsync(null, "admin", "domain", "add", "example.jp", "--maxquota", "2048");
        var command = await RunAsync(null, "admin", "domian", "list");

        Assert.Equal((64, "error: unknown option '--quot' for 'mailserverless admin mailbox add'; did you mean --quota?"), (misspelt.Exit, misspelt.Error.TrimEnd()));
        Assert.Equal(64, size.Exit);
        Assert.Contains("is not a size: write bytes (102400000) or a number with K, M or G (100M, 1G)", size.Error, StringComparison.Ordinal);
        Assert.Equal(64, megabytes.Exit);
        Assert.Contains("is not a whole number of megabytes", megabytes.Error, StringComparison.Ordinal);
        Assert.Equal((64, "error: unknown command 'domian' for 'mailserverless admin'; did you mean domain?"), (command.Exit, command.Error.TrimEnd()));
        Assert.False(Directory.Exists(_data));
    }

    [Fact]
    public async Task Version_is_printed_with_exit_0()
    {
        var (exit, output, _) = await RunAsync(null, "--version");

        Assert.Equal(0, exit);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Fact]
    public async Task Without_a_directory_a_command_refuses_and_makes_none_unless_told_to()
    {
        var refused = await RunAsync(null, "admin", "domain", "list");
        Assert.Equal(1, refused.Exit);
        Assert.StartsWith($"error: no directory at {Path.Combine(_data, "directory.db")} (Mail:DataDirectory is {_data})", refused.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_data));

        var created = await RunAsync(null, "admin", "domain", "list", "--create", "--json");
        Assert.True(created.Exit == 0, created.Error);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(created.Output).RootElement.ValueKind);
        Assert.True(File.Exists(Path.Combine(_data, "directory.db")));
    }

    [Fact]
    public async Task Setup_holds_the_superadmin_password_to_the_same_policy_as_the_api()
    {
        var weak = await RunAsync("x\n", "setup", "--superadmin", "boss@example.jp");
        Assert.Equal(1, weak.Exit);
        Assert.StartsWith("error: The password needs at least 8 characters", weak.Error, StringComparison.Ordinal);

        var set = await RunAsync("long enough\n", "setup", "--superadmin", "boss@example.jp");
        Assert.True(set.Exit == 0, set.Error);
        Assert.Contains("superadmin boss@example.jp set", set.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every admin command once, with --json: each answer parses, and no command is left out (a new one must be added here).
    /// </summary>
    [Fact]
    public async Task Every_admin_command_prints_json_that_parses()
    {
        Assert.Equal(0, (await RunAsync("long enough\n", "setup", "--superadmin", "boss@example.jp")).Exit);
        var archive = Path.Combine(Path.GetDirectoryName(_data)!, "backup.tar");
        (string? Input, string[] Args)[] script =
        [
            (null, ["admin", "domain", "add", "example.jp", "--maxquota", "1G", "--quota", "10G", "--mailboxes", "50", "--description", "Example"]),
            (null, ["admin", "domain", "edit", "example.jp", "--aliases", "20"]),
            (null, ["admin", "domain", "show", "example.jp"]),
            (null, ["admin", "domain", "list"]),
            ("long enough\n", ["admin", "mailbox", "add", "user1@example.jp", "--name", "User One", "--quota", "100M"]),
            ("long enough\n", ["admin", "mailbox", "add", "user2@example.jp"]),
            (null, ["admin", "mailbox", "edit", "user2@example.jp", "--name", "User Two"]),
            ("another long one\n", ["admin", "mailbox", "password", "user2@example.jp"]),
            (null, ["admin", "mailbox", "show", "user1@example.jp"]),
            (null, ["admin", "mailbox", "list", "--domain", "example.jp"]),
            (null, ["admin", "alias", "add", "team@example.jp", "user1@example.jp", "user2@example.jp"]),
            (null, ["admin", "alias", "edit", "team@example.jp", "user1@example.jp"]),
            (null, ["admin", "alias", "show", "postmaster@example.jp"]),
            (null, ["admin", "alias", "list"]),
            (null, ["admin", "domain", "add", "example.net"]),
            (null, ["admin", "alias-domain", "add", "example.net", "example.jp"]),
            (null, ["admin", "alias-domain", "edit", "example.net", "--active", "false"]),
            (null, ["admin", "alias-domain", "show", "example.net"]),
            (null, ["admin", "alias-domain", "list"]),
            ("long enough\n", ["admin", "administrator", "add", "helper@example.jp", "--domain", "example.jp"]),
            (null, ["admin", "administrator", "edit", "helper@example.jp", "--active", "false"]),
            ("another long one\n", ["admin", "administrator", "password", "helper@example.jp"]),
            (null, ["admin", "administrator", "show", "helper@example.jp"]),
            (null, ["admin", "administrator", "list"]),
            ("Back on Monday.\n", ["admin", "vacation", "set", "user1@example.jp", "--subject", "Away", "--body", "-", "--until", "2030-01-31"]),
            (null, ["admin", "vacation", "show", "user1@example.jp"]),
            ("{\"rules\": [{\"header\": \"subject\", \"contains\": \"news\", \"folder\": \"News\"}]}", ["admin", "filters", "set", "user1@example.jp", "--filter-set", "-"]),
            (null, ["admin", "filters", "show", "user1@example.jp"]),
            (null, ["admin", "forward", "set", "user2@example.jp", "someone@elsewhere.example", "--keep"]),
            (null, ["admin", "forward", "show", "user2@example.jp"]),
            (null, ["admin", "forward", "delete", "user2@example.jp"]),
            (null, ["admin", "key", "add", "--name", "automation"]),
            (null, ["admin", "key", "list"]),
            (null, ["admin", "dkim", "show", "example.jp"]),
            (null, ["admin", "dkim", "rotate", "example.jp", "--algorithm", "Ed25519"]),
            (null, ["admin", "dkim", "activate", "example.jp"]),
            (null, ["admin", "log", "--limit", "5"]),
            (null, ["admin", "quota", "get", "user1@example.jp"]),
            (null, ["admin", "quota", "recalc", "--domain", "example.jp"]),
            (null, ["admin", "backup", archive]),
            (null, ["admin", "restore", archive, "--force"]),
            (null, ["admin", "vacation", "delete", "user1@example.jp"]),
            (null, ["admin", "administrator", "delete", "helper@example.jp"]),
            (null, ["admin", "alias-domain", "delete", "example.net"]),
            (null, ["admin", "alias", "delete", "team@example.jp"]),
            (null, ["admin", "mailbox", "delete", "user2@example.jp", "--remove-maildir"]),
            (null, ["admin", "domain", "delete", "example.jp", "--cascade"]),
        ];
        var keyId = string.Empty;
        foreach (var (input, args) in script)
        {
            var (exit, output, error) = await RunAsync(input, [.. args, "--json"]);
            Assert.True(exit == 0, $"{string.Join(' ', args)}: exit {exit}\n{error}");
            var json = JsonDocument.Parse(output).RootElement;
            if (args is [_, "key", "add", ..])
            {
                keyId = json.GetProperty("id").GetString()!;
                Assert.StartsWith("msl_", json.GetProperty("key").GetString(), StringComparison.Ordinal);
            }
        }

        var deleted = await RunAsync(null, "admin", "key", "delete", keyId, "--json");
        Assert.True(deleted.Exit == 0, deleted.Error);
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(deleted.Output).RootElement.ValueKind);

        var covered = script.Select(s => string.Join(' ', s.Args.TakeWhile(a => !a.Contains('@', StringComparison.Ordinal) && !a.Contains('.', StringComparison.Ordinal) && !a.StartsWith('-'))))
            .Append("admin key delete")
            // These work through a running server, or on its certificate, which this test does not start or make:
            // QueueToolsTests and AcmeCertificateTests run each with --json.
            .Concat(Leaves().Where(leaf => leaf.StartsWith("admin queue ", StringComparison.Ordinal) || leaf.StartsWith("admin certificate ", StringComparison.Ordinal)))
            .ToHashSet();
        var untested = Leaves().Where(leaf => !covered.Contains(leaf)).ToList();
        Assert.True(untested.Count == 0, "not run with --json: " + string.Join(", ", untested));
    }

    [Fact]
    public async Task The_real_binary_answers_help_without_starting_and_refuses_unknown_options_with_64()
    {
        var help = await ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "--help"], workingDirectory: Path.GetTempPath());
        var unknown = await ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "admin", "domain", "add", "example.jp", "--quot", "5"],
            workingDirectory: Path.GetTempPath());

        Assert.True(help.ExitCode == 0, help.Error);
        Assert.Contains("Without a command, runs the server.", help.Output, StringComparison.Ordinal);
        Assert.Equal(64, unknown.ExitCode);
        Assert.Equal("error: unknown option '--quot' for 'mailserverless admin domain add'; did you mean --quota?", unknown.Error.TrimEnd());
    }
}
