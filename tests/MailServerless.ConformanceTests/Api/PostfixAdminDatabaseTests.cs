using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using MailServerless.Testing;
using MySqlConnector;

namespace MailServerless.ConformanceTests.Api;

/// <summary>
/// The API on a database PostfixAdmin created itself, and what it writes read by Debian's Dovecot through the
/// seed's own <c>password_query</c> and <c>user_query</c>, as the classic stack runs them.
/// </summary>
public sealed class PostfixAdminDatabaseTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;
    private string _database = string.Empty;
    private readonly string _dovecot = Path.Combine(Path.GetTempPath(), "msl-dovecot-sql-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        _database = await MariaDb.CreateDatabaseAsync("pfa");
        await MariaDb.RunScriptAsync(_database, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "postfixadmin-3.3.13.sql")));
        // A superadmin as PostfixAdmin's setup.php makes one (rows in its own tables only).
        var passwords = new Core.Passwords.PasswordService("MD5-CRYPT", "BLF-CRYPT", Microsoft.Extensions.Logging.Abstractions.NullLogger<Core.Passwords.PasswordService>.Instance);
        await new Core.Accounts.DirectoryAdministration(Core.Accounts.Sql.DirectoryDatabase.MySql(_database), passwords, TimeProvider.System)
            .CreateOrResetSuperadminAsync("admin@mx.example.jp", MailServerInstance.Password);
        _server = await MailServerInstance.StartOnExistingDatabaseAsync(_database);
    }

    public async Task DisposeAsync()
    {
        if (File.Exists(Path.Combine(_dovecot, "run", "master.pid")))
        {
            await ProcessRunner.RunAsync("sh", ["-c", $"doveadm -c '{Path.Combine(_dovecot, "dovecot.conf")}' stop </dev/null >/dev/null 2>&1"]);
        }

        await _server.DisposeAsync();
        if (Directory.Exists(_dovecot))
        {
            Directory.Delete(_dovecot, recursive: true);
        }
    }

    [Fact]
    public async Task A_mailbox_made_through_the_api_on_postfixadmins_schema_authenticates_in_dovecot_with_the_seeds_queries()
    {
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin@mx.example.jp:{MailServerInstance.Password}")));
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("api/domains", new { domain = "example.jp" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("api/mailboxes",
            new { address = "dove@example.jp", password = "dovecot reads this", quota = 10240000 })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("api/aliases",
            new { address = "info@example.jp", @goto = new[] { "dove@example.jp" } })).StatusCode);
        // The schema is still PostfixAdmin's: only our msl_ tables were added.
        await using (var connection = new MySqlConnection(_database))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand("SELECT value FROM config WHERE name = 'version'", connection);
            Assert.Equal("1847", await command.ExecuteScalarAsync());
        }

        var config = await WriteDovecotConfigAsync();
        // The master daemonizes; its children must not keep our output pipes open.
        var start = await ProcessRunner.RunAsync("sh", ["-c", $"dovecot -c '{config}' </dev/null >/dev/null 2>&1"]);
        Assert.True(start.ExitCode == 0, start.Output + start.Error);
        var auth = await ProcessRunner.RunAsync("doveadm", ["-c", config, "auth", "test", "dove@example.jp", "dovecot reads this"]);
        var wrong = await ProcessRunner.RunAsync("doveadm", ["-c", config, "auth", "test", "dove@example.jp", "not the password"]);
        var user = await ProcessRunner.RunAsync("doveadm", ["-c", config, "user", "dove@example.jp"]);

        Assert.True(auth.ExitCode == 0, auth.Output + auth.Error + File.ReadAllText(Path.Combine(_dovecot, "dovecot.log")));
        Assert.Contains("auth succeeded", auth.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.True(user.ExitCode == 0, user.Output + user.Error);
        Assert.Contains("/var/spool/virtual/example.jp/dove/", user.Output, StringComparison.Ordinal);
        Assert.Contains("*:bytes=10240000", user.Output, StringComparison.Ordinal);
    }

    /// <summary>The seed's dovecot-sql.conf.ext queries, word for word, on the test database.</summary>
    private async Task<string> WriteDovecotConfigAsync()
    {
        Directory.CreateDirectory(_dovecot);
        var builder = new MySqlConnectionStringBuilder(_database);
        var host = builder.Server.StartsWith('/') ? $"host={builder.Server}" : $"host={builder.Server} port={builder.Port}";
        var sql = Path.Combine(_dovecot, "dovecot-sql.conf.ext");
        await File.WriteAllTextAsync(sql, $"""
            driver = mysql
            connect = {host} dbname={builder.Database} user={builder.UserID} password={builder.Password}
            default_pass_scheme = MD5-CRYPT
            password_query = SELECT username AS user,password FROM mailbox WHERE username = '%u' AND active='1'
            user_query = SELECT CONCAT('/var/spool/virtual/', maildir) AS mail, 10000 AS uid, 10000 AS gid, CONCAT('*:bytes=', quota) AS quota_rule FROM mailbox WHERE username = '%u' AND active='1'
            """);
        var config = Path.Combine(_dovecot, "dovecot.conf");
        await File.WriteAllTextAsync(config, $$"""
            protocols = none
            base_dir = {{_dovecot}}/run
            state_dir = {{_dovecot}}/state
            log_path = {{_dovecot}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            first_valid_uid = 1
            passdb {
              driver = sql
              args = {{sql}}
            }
            userdb {
              driver = sql
              args = {{sql}}
            }
            """);
        return config;
    }
}
