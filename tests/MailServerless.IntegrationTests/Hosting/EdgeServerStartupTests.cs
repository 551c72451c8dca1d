using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace MailServerless.IntegrationTests.Hosting;

/// <summary>The host as the README runs it: first start, the setup command, and clear start-up errors.</summary>
public sealed class EdgeServerStartupTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "msl-host-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>Starts the server on a free port, trying again if another process took the port first.</summary>
    private async Task<(EdgeServerProcess Server, int Port)> StartListeningAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = EdgeServerProcess.FreePort();
            var server = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, port));
            if (await server.WaitUntilListeningAsync(StartTimeout))
            {
                return (server, port);
            }

            await server.DisposeAsync();
            Assert.True(attempt < 5 && server.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase), server.Output);
            // Start again from nothing: the failed start already prepared the data directory.
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task First_start_creates_the_sqlite_directory_and_a_superadmin_and_stays_up()
    {
        var (server, port) = await StartListeningAsync();
        await using var running = server;

        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health")));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(server.HasExited, server.Output);

        Assert.True(File.Exists(Path.Combine(_data, "directory.db")));
        Assert.True(Directory.Exists(Path.Combine(_data, "virtual")));
        var secretFile = Path.Combine(_data, "superadmin-password");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        var lines = await File.ReadAllLinesAsync(secretFile);
        Assert.Equal("admin@mail.example.jp", lines[0]);
        Assert.Contains($"Created superadmin admin@mail.example.jp with password {lines[1]}", server.Output, StringComparison.Ordinal);
        Assert.True(await AdminPasswordVerifiesAsync($"Data Source={Path.Combine(_data, "directory.db")}", "admin@mail.example.jp", lines[1]));
    }

    [Fact]
    public async Task Second_start_on_the_same_data_creates_no_second_superadmin()
    {
        var (first, port) = await StartListeningAsync();
        await first.DisposeAsync();

        await using var second = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, port));
        Assert.True(await second.WaitUntilListeningAsync(StartTimeout), second.Output);
        Assert.DoesNotContain("Created superadmin", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_command_creates_the_schema_and_the_superadmin_from_stdin_on_mariadb()
    {
        var connectionString = await MariaDb.CreateDatabaseAsync("setup");
        try
        {
            var result = await ProcessRunner.RunAsync("dotnet",
                [EdgeServerProcess.ServerDll, "setup", "--superadmin", "Boss@Example.JP", $"--Mail:DataDirectory={_data}",
                 "--Mail:Directory:Provider=MySql", $"--Mail:Directory:ConnectionString={connectionString}"],
                input: "s3cret pass\n");

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            Assert.Contains("superadmin boss@example.jp set", result.Output, StringComparison.Ordinal);
            Assert.True(await AdminPasswordVerifiesAsync(connectionString, "boss@example.jp", "s3cret pass", mySql: true));
        }
        finally
        {
            await MariaDb.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task Setup_command_without_a_password_on_stdin_fails()
    {
        var result = await ProcessRunner.RunAsync("dotnet",
            [EdgeServerProcess.ServerDll, "setup", "--superadmin", "boss@example.jp", $"--Mail:DataDirectory={_data}"], input: "");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error: no password on standard input", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_mysql_stops_start_up_with_one_error_naming_the_setting()
    {
        var unreachable = new MySqlConnectionStringBuilder(MariaDb.ServerConnectionString) { Port = 1, ConnectionTimeout = 3 };
        var port = EdgeServerProcess.FreePort();
        await using var server = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, port,
            "--Mail:Directory:Provider=MySql", $"--Mail:Directory:ConnectionString={unreachable.ConnectionString}"));

        var exitCode = await server.WaitForExitAsync(StartTimeout);

        Assert.Equal(2, exitCode);
        Assert.Contains("error: Cannot open the directory at MySQL 127.0.0.1:1", server.Output, StringComparison.Ordinal);
        Assert.Contains("Mail:Directory:ConnectionString", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Mail:Directory:ConnectionString=Server=;Port=notanumber", "Mail:Directory:ConnectionString")]
    [InlineData("--Mail:Directory:Provider=Oracle", "Mail:Directory:Provider")]
    [InlineData("--Mail:Directory:NewPasswordScheme=PLAIN", "Mail:Directory:NewPasswordScheme")]
    [InlineData("--Mail:Store:Path=/proc/msl-store", "Mail:Store:Path")]
    public async Task Bad_settings_stop_start_up_naming_the_setting(string setting, string named)
    {
        var extra = setting.Contains("ConnectionString", StringComparison.Ordinal)
            ? new[] { "--Mail:Directory:Provider=MySql", setting }
            : [setting];
        await using var server = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, EdgeServerProcess.FreePort(), extra));

        var exitCode = await server.WaitForExitAsync(StartTimeout);

        Assert.Equal(2, exitCode);
        Assert.Contains(named, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
    }

    private static async Task<bool> AdminPasswordVerifiesAsync(string connectionString, string username, string password, bool mySql = false)
    {
        var database = mySql ? DirectoryDatabase.MySql(connectionString) : DirectoryDatabase.Sqlite(connectionString);
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT password FROM admin WHERE username = @u AND superadmin = 1";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@u";
        parameter.Value = username;
        command.Parameters.Add(parameter);
        var stored = (string?)await command.ExecuteScalarAsync();
        return new PasswordService("MD5-CRYPT", "BLF-CRYPT", NullLogger<PasswordService>.Instance).Verify(password, stored).Succeeded;
    }
}
