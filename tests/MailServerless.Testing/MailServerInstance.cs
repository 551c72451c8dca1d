using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.Testing;

/// <summary>
/// The real edge server, started as `dotnet run` starts it, on free loopback ports, over a fresh
/// data directory whose SQLite directory holds example.jp: user1..user5 (password "secret",
/// MD5-CRYPT as the classic stack stores it), info → user1,user2, sales → user3, full@ (over
/// quota), example.com as an alias domain of example.jp, and backup.example as a backup-MX domain.
/// </summary>
public sealed class MailServerInstance : IAsyncDisposable, IFaultTarget
{
    public const string Password = "secret";

    private EdgeServerProcess? _process;
    private string? _mysql;
    private (IEnumerable<string> Arguments, string? WorkingDirectory, IReadOnlyDictionary<string, string>? Environment) _launch;
    private string _program = "dotnet";
    private string? _tmpfs;

    private MailServerInstance(string? dataDirectory = null)
    {
        if (dataDirectory is not null)
        {
            DataDirectory = dataDirectory;
        }
    }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "msl-srv-" + Guid.NewGuid().ToString("N"));

    private readonly int[] _ports = EdgeServerProcess.FreePorts(9);

    public int Smtp => _ports[0];

    public int Submission => _ports[1];

    public int Submissions => _ports[2];

    public int Http => _ports[3];

    public int Pop3 => _ports[4];

    public int Imap => _ports[5];

    public int Imaps => _ports[6];

    public int Pop3s => _ports[7];

    public int ManageSieve => _ports[8];

    public string Output => _process?.Output ?? string.Empty;

    /// <summary>Leave the MariaDB database in place at the end (one this instance was only lent, as a benchmark's).</summary>
    public bool KeepDatabase { get; set; }

    public int ProcessId => _process?.ProcessId ?? 0;

    /// <summary>The same server and seed on a fresh database of the test MariaDB instead of SQLite.</summary>
    public static Task<MailServerInstance> StartOnMariaDbAsync(params string[] settings) => StartAsync(onMariaDb: true, settings);

    /// <summary>
    /// Seeded on a fresh MariaDB database that the server reaches through <paramref name="outage"/> (so a test can
    /// take the database away); the seed itself goes to MariaDB directly.
    /// </summary>
    public static async Task<MailServerInstance> StartBehindOutageAsync(TcpOutage outage, params string[] settings)
    {
        ArgumentNullException.ThrowIfNull(outage);
        var database = await MariaDb.CreateDatabaseAsync("out");
        var throughProxy = new MySqlConnector.MySqlConnectionStringBuilder(database) { Server = "127.0.0.1", Port = (uint)outage.Port }.ConnectionString;
        var server = new MailServerInstance { _mysql = database };
        await server.SeedAsync();
        var arguments = server.ServerArguments(["--Mail:Directory:Provider=MySql", $"--Mail:Directory:ConnectionString={throughProxy}", .. settings]);
        await server.LaunchAsync(arguments);
        return server;
    }

    /// <summary>
    /// Seeded on a fresh MariaDB database as the tests' own user; the server connects with what <paramref name="connect"/>
    /// makes of that database's connection string (another user, without its password, say), so a test can change it.
    /// </summary>
    public static async Task<MailServerInstance> StartOnMariaDbAsync(Func<string, Task<string>> connect, params string[] settings)
    {
        ArgumentNullException.ThrowIfNull(connect);
        var database = await MariaDb.CreateDatabaseAsync("own");
        var server = new MailServerInstance { _mysql = database };
        await server.SeedAsync();
        var connection = await connect(database);
        await server.LaunchAsync(server.ServerArguments(["--Mail:Directory:Provider=MySql", $"--Mail:Directory:ConnectionString={connection}", .. settings]));
        return server;
    }

    /// <summary>
    /// A server on an existing MariaDB database (PostfixAdmin's own, say), nothing seeded (make a superadmin first,
    /// or the server makes one at its first start). The database is dropped at the end.
    /// </summary>
    public static async Task<MailServerInstance> StartOnExistingDatabaseAsync(string connectionString, params string[] settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            // The database is this instance's to drop only once it runs: a retry must find it still there.
            var server = new MailServerInstance();
            Directory.CreateDirectory(server.DataDirectory);
            try
            {
                await server.LaunchAsync(server.ServerArguments(
                    ["--Mail:Directory:Provider=MySql", $"--Mail:Directory:ConnectionString={connectionString}", .. settings]));
                server._mysql = connectionString;
                return server;
            }
            catch (PortTakenException) when (attempt < 5)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The seeded server with <paramref name="directory"/> (under the data directory: "spool", "virtual") on a tmpfs of
    /// <paramref name="bytes"/> bytes in a private mount namespace (<c>unshare -m</c>, as root): a disk that fills up.
    /// <see cref="ResizeTmpfsAsync"/> gives it room again.
    /// </summary>
    public static async Task<MailServerInstance> StartWithSmallFileSystemAsync(string directory, long bytes, params string[] settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartWithSmallFileSystemOnceAsync(directory, bytes, settings);
            }
            catch (PortTakenException) when (attempt < 5)
            {
            }
        }
    }

    private static async Task<MailServerInstance> StartWithSmallFileSystemOnceAsync(string directory, long bytes, string[] settings)
    {
        var server = new MailServerInstance();
        await server.SeedAsync();
        var mountPoint = Path.Combine(server.DataDirectory, directory);
        Directory.CreateDirectory(mountPoint);
        var arguments = server.ServerArguments(settings);
        var command = $"mount -t tmpfs -o size={bytes} tmpfs '{mountPoint}' && exec dotnet " + string.Join(' ', arguments.Select(a => $"'{a}'"));
        server._program = "unshare";
        server._tmpfs = mountPoint;
        try
        {
            await server.LaunchAsync(["-m", "sh", "-c", command]);
        }
        catch (PortTakenException)
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Runs a shell command inside the server's mount namespace (where its tmpfs is) and returns its output.</summary>
    public async Task<string> InsideAsync(string command)
    {
        var result = await ProcessRunner.RunAsync("nsenter", ["-t", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "sh", "-c", command]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return result.Output.Trim();
    }

    /// <summary>Gives the tmpfs of <see cref="StartWithSmallFileSystemAsync"/> a new size, inside the server's mount namespace.</summary>
    public async Task ResizeTmpfsAsync(long bytes)
    {
        var result = await ProcessRunner.RunAsync("nsenter", ["-t", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m",
            "mount", "-o", $"remount,size={bytes}", _tmpfs ?? throw new InvalidOperationException("no tmpfs")]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
    }


    public static Task<MailServerInstance> StartAsync(params string[] settings) => StartAsync(onMariaDb: false, settings);

    private static async Task<MailServerInstance> StartAsync(bool onMariaDb, string[] settings)
    {
        // A port found free may be taken (by another test's client) before the server binds it: try again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(onMariaDb ? await MariaDb.CreateDatabaseAsync("srv") : null, settings);
            }
            catch (PortTakenException) when (attempt < 5)
            {
            }
        }
    }

    private static async Task<MailServerInstance> StartOnceAsync(string? mysql, string[] settings)
    {
        var server = new MailServerInstance { _mysql = mysql };
        // A port the settings name (pebble's http-01 port, a test's own listener) is free until the server binds it,
        // so it may have been picked for another listener too: pick again.
        if (settings.Any(setting => server._ports.Any(port => setting.EndsWith("=" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))))
        {
            await server.DisposeAsync();
            throw new PortTakenException("a port named in the settings was picked for another listener");
        }

        if (mysql is not null)
        {
            settings = ["--Mail:Directory:Provider=MySql", $"--Mail:Directory:ConnectionString={mysql}", .. settings];
        }

        await server.SeedAsync();
        var arguments = server.ServerArguments(settings);
        try
        {
            await server.LaunchAsync(arguments);
        }
        catch (PortTakenException)
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// The README's run command exactly (<c>dotnet run --project edge-server/MailServerless.EdgeServer</c>, built
    /// already), run from <see cref="DataDirectory"/>'s parent so that its default <c>./data</c> is this instance's,
    /// with free ports given the documented way (<c>Mail__Listeners__Smtp=...</c> in the environment). Seeded with
    /// the test directory, or, when <paramref name="seeded"/> is false, left for the server to create as on a first run.
    /// </summary>
    public static async Task<MailServerInstance> StartAsReadmeSaysAsync(string repositoryRoot, bool seeded = true)
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = new MailServerInstance(Path.Combine(Path.GetTempPath(), "msl-readme-" + Guid.NewGuid().ToString("N"), "data"));
            Directory.CreateDirectory(Path.GetDirectoryName(server.DataDirectory)!);
            if (seeded)
            {
                await server.SeedAsync();
            }

            try
            {
                await server.LaunchAsync(
                    ["run", "--no-build", "--project", Path.Combine(repositoryRoot, "edge-server", "MailServerless.EdgeServer")],
                    workingDirectory: Path.GetDirectoryName(server.DataDirectory),
                    environment: server.ListenerEnvironment());
                return server;
            }
            catch (PortTakenException) when (attempt < 5)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>This instance's ports as environment variables, the way docs/configuration.md documents settings.</summary>
    public IReadOnlyDictionary<string, string> ListenerEnvironment() => new Dictionary<string, string>
    {
        ["Mail__Listeners__Http"] = Http.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__Smtp"] = Smtp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__Submission"] = Submission.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__Submissions"] = Submissions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__Imap"] = Imap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__Imaps"] = Imaps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__Pop3"] = Pop3.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__Pop3s"] = Pop3s.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Listeners__ManageSieve"] = ManageSieve.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail__Dns__Servers"] = LoopbackDns.SharedServer,
    };

    /// <summary>The server on this instance's data directory and free ports, quick retries and login delays, then <paramref name="settings"/>.</summary>
    private string[] ServerArguments(string[] settings) =>
    [
        EdgeServerProcess.ServerDll, $"--Mail:DataDirectory={DataDirectory}", "--Mail:HostName=mx.example.jp",
        $"--Mail:Listeners:Http={Http}", $"--Mail:Listeners:Smtp={Smtp}",
        $"--Mail:Listeners:Submission={Submission}", $"--Mail:Listeners:Submissions={Submissions}",
        $"--Mail:Listeners:Imap={Imap}", $"--Mail:Listeners:Imaps={Imaps}", $"--Mail:Listeners:Pop3={Pop3}", $"--Mail:Listeners:Pop3s={Pop3s}",
        $"--Mail:Listeners:ManageSieve={ManageSieve}",
        "--Mail:Auth:FailureDelay=00:00:00.100", "--Mail:Queue:MinBackoff=00:00:01", $"--Mail:Dns:Servers={LoopbackDns.SharedServer}",
        // Outbound mail stays queued (deferred: nothing listens on port 1) unless a test names a relay.
        "--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", "--Mail:Relay:Port=1", "--Mail:Relay:RequireTls=false", .. settings,
    ];

    /// <summary>Whether the server process has ended (after a stop it was sent, say).</summary>
    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>
    /// Plays the service manager after an update: starts <paramref name="program"/> (a release's own start program,
    /// which takes the settings as arguments) on this server's data, ports and settings.
    /// </summary>
    public async Task StartReleaseAsync(string program)
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        var arguments = _program == "dotnet" ? _launch.Arguments.Skip(1) : _launch.Arguments;
        _program = program;
        await LaunchAsync(arguments, _launch.WorkingDirectory, _launch.Environment);
    }

    /// <summary>Kills the server process and starts it again on the same data (a cold start for benchmarks).</summary>
    public async Task RestartAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        await LaunchAsync(_launch.Arguments, _launch.WorkingDirectory, _launch.Environment);
    }

    private async Task LaunchAsync(
        IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        _launch = (arguments.ToList(), workingDirectory, environment);
        var server = this;
        server._process = EdgeServerProcess.Start(arguments, workingDirectory, _program, environment);
        if (!await server._process.WaitUntilListeningAsync(TimeSpan.FromSeconds(60)))
        {
            throw server.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                ? new PortTakenException(server.Output)
                : new InvalidOperationException("the server did not start:\n" + server.Output);
        }

        // All listeners are printed after start; wait for the last one.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!server.Output.Contains($"pop3s 127.0.0.1:{server.Pop3s}", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    private async Task SeedAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        var database = _mysql is not null
            ? DirectoryDatabase.MySql(_mysql)
            : DirectoryDatabase.Sqlite($"Data Source={Path.Combine(DataDirectory, "directory.db")}");
        await SeedDirectoryAsync(database, Path.Combine(DataDirectory, "virtual"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>
    /// The test directory: superadmin admin@example.jp, example.jp (user1…user5, full@ over its quota, info@ and
    /// sales@ aliases), example.com as its alias domain, backup.example as a backup MX; every password <see cref="Password"/>.
    /// </summary>
    internal static async Task SeedDirectoryAsync(DirectoryDatabase database, string storePath)
    {
        await new SchemaInstaller(database, NullLogger<SchemaInstaller>.Instance).EnsureSchemaAsync();
        var passwords = new PasswordService("MD5-CRYPT", "MD5-CRYPT", NullLogger<PasswordService>.Instance);
        var admin = new DirectoryAdministration(database, passwords, TimeProvider.System);
        await admin.CreateOrResetSuperadminAsync("admin@example.jp", Password);
        await admin.CreateDomainAsync(new DomainSettings("example.jp"));
        await admin.CreateDomainAsync(new DomainSettings("example.com"));
        await admin.CreateDomainAsync(new DomainSettings("backup.example") { BackupMx = true });
        await admin.CreateAliasDomainAsync("example.com", "example.jp");
        foreach (var user in new[] { "user1", "user2", "user3", "user4", "user5" })
        {
            await admin.CreateMailboxAsync($"{user}@example.jp", Password, user, 0);
        }

        await admin.CreateMailboxAsync("full@example.jp", Password, "Full", 100);
        await admin.CreateAliasAsync("info@example.jp", ["user1@example.jp", "user2@example.jp"]);
        await admin.CreateAliasAsync("sales@example.jp", ["user3@example.jp"]);
        // full@ already holds more than its 100-byte quota.
        var full = Path.Combine(storePath, "example.jp", "full");
        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            Directory.CreateDirectory(Path.Combine(full, sub));
        }

        await File.WriteAllTextAsync(Path.Combine(full, "cur", "1700000000.M1P1.h,S=500,W=510:2,S"), new string('x', 500));
    }

    IReadOnlyList<int> IFaultTarget.SmtpPorts => [Smtp];

    Task IFaultTarget.KillAndRestartAsync(Random random) => RestartAsync();

    /// <summary>Waits until the spool's inbound queue is empty.</summary>
    public async Task WaitUntilDeliveredAsync(TimeSpan timeout)
    {
        var queue = Path.Combine(DataDirectory, "spool", "inbound", "queue");
        var deadline = DateTime.UtcNow + timeout;
        while (Directory.Exists(queue) && Directory.EnumerateFiles(queue).Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
    }

    /// <summary>The Maildir root of a mailbox (example.jp/&lt;localPart&gt;/ under the store).</summary>
    public string MaildirRoot(string localPart) => Path.Combine(DataDirectory, "virtual", "example.jp", localPart);

    /// <summary>Delivers a message through SMTP on the MX port and waits until it is in the Maildir.</summary>
    public async Task DeliverAsync(string localPart, string subject, string body = "Hello.\r\n")
    {
        var result = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{Smtp}", "--from", "a@remote.example",
            "--to", $"{localPart}@example.jp", "--header", $"Subject: {subject}", "--body", body]);
        Assert.True(result.ExitCode == 0, result.Output);
        await WaitForMessageAsync(localPart, subject);
    }

    /// <summary>The message files delivered to a mailbox's INBOX (new/ and cur/).</summary>
    public string[] Inbox(string localPart)
    {
        var root = Path.Combine(DataDirectory, "virtual", "example.jp", localPart);
        return new[] { "new", "cur" }.Select(s => Path.Combine(root, s)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFiles).Select(File.ReadAllText).ToArray();
    }

    /// <summary>Waits until a message containing <paramref name="marker"/> is in the mailbox; returns it.</summary>
    public async Task<string> WaitForMessageAsync(string localPart, string marker, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (Inbox(localPart).FirstOrDefault(m => m.Contains(marker, StringComparison.Ordinal)) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no message with '{marker}' reached {localPart}:\n{Output}");
    }

    /// <summary>
    /// Waits until <paramref name="text"/> is in the server's output (it arrives asynchronously); returns how
    /// many times it is there, 0 when it did not come in time.
    /// </summary>
    public async Task<int> WaitForOutputAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!Output.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return Output.Split(text).Length - 1;
    }

    /// <summary>Envelopes waiting in the outbound queue (forwards, relayed submissions).</summary>
    /// <summary>
    /// Waits (up to 10 s) for the auto-reply <paramref name="mailbox"/>'s vacation sends to the outside sender of
    /// <see cref="DeliverAsync"/>: it waits in the outbound queue, this server's relay being unreachable.
    /// </summary>
    public async Task<bool> WaitForVacationReplyAsync(string mailbox)
    {
        bool IsReply(string envelope) => envelope.Contains("\"mailFrom\":\"\"", StringComparison.Ordinal) &&
            envelope.Contains("a@remote.example", StringComparison.Ordinal) && envelope.Contains($"\"authenticatedUser\":\"{mailbox}\"", StringComparison.Ordinal);
        for (var i = 0; i < 200 && !OutboundEnvelopes().Any(IsReply); i++)
        {
            await Task.Delay(50);
        }

        return OutboundEnvelopes().Any(IsReply);
    }

    public string[] OutboundEnvelopes()
    {
        var folder = Path.Combine(DataDirectory, "spool", "outbound", "queue");
        return Directory.Exists(folder) ? Directory.GetFiles(folder).Select(File.ReadAllText).ToArray() : [];
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_mysql is not null && !KeepDatabase)
        {
            await MariaDb.DropDatabaseAsync(_mysql);
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        var parent = Path.GetDirectoryName(DataDirectory)!;
        if (Path.GetFileName(parent).StartsWith("msl-readme-", StringComparison.Ordinal))
        {
            Directory.Delete(parent, recursive: true);
        }
    }
}

/// <summary>The server could not bind a port picked as free a moment before.</summary>
public sealed class PortTakenException(string output) : Exception(output);
