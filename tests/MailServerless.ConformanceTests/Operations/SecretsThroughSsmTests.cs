using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;
using MySqlConnector;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// Settings written as <c>ssm:NAME#key</c> are read through SSM's GetParameter (with decryption), the way the AWS
/// template names Secrets Manager secrets: the directory's password at start-up and again after a rotation, the
/// smarthost's credentials with a clear error at start-up when the smarthost refuses them. SSM is
/// <see cref="FakeSsm"/>, which speaks its API to the AWS SDK (the SQS/S3 emulator has no SSM).
/// </summary>
public sealed class SecretsThroughSsmTests
{
    private const string DirectorySecret = "/aws/reference/secretsmanager/arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:directory-AbCdEf";

    [Fact]
    public async Task The_directory_password_is_read_through_ssm_and_a_rotated_one_is_used_for_new_connections()
    {
        await using var ssm = FakeSsm.Start();
        var user = $"rot{Guid.NewGuid():N}"[..16];
        var first = $"p1-{Guid.NewGuid():N}";
        var second = $"p2-{Guid.NewGuid():N}";
        ssm.Set(DirectorySecret, $$"""{"username":"{{user}}","password":"{{first}}"}""");

        await using var server = await MailServerInstance.StartOnMariaDbAsync(
            async database =>
            {
                var name = new MySqlConnectionStringBuilder(database).Database;
                await ExecuteAsync(database, $"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{first}'", $"GRANT ALL ON `{name}`.* TO '{user}'@'127.0.0.1'");
                // No password here, and no pool: every lookup opens a connection, so the rotation shows at once.
                return new MySqlConnectionStringBuilder(database) { UserID = user, Password = string.Empty, Pooling = false }.ConnectionString;
            },
            $"--Mail:Directory:Password=ssm:{DirectorySecret}#password", $"--Mail:Secrets:ServiceUrl={ssm.Url}", "--Mail:Secrets:RefreshInterval=00:00:01");

        await LogInOverImapAsync(server);

        // Secrets Manager rotates: the database's password changes, and so does the secret.
        await ExecuteAsync(MariaDb.ServerConnectionString, $"ALTER USER '{user}'@'127.0.0.1' IDENTIFIED BY '{second}'");
        var before = ssm.Requests.Count;
        ssm.Set(DirectorySecret, $$"""{"username":"{{user}}","password":"{{second}}"}""");
        // Two reads after the rotation (the refresh is every second): the second began after it, so the new password is in use.
        await WaitUntilAsync(() => ssm.Requests.Count > before + 1, TimeSpan.FromSeconds(20));

        await LogInOverImapAsync(server);
        Assert.All(ssm.Requests, request => Assert.Equal((DirectorySecret, true), request));
        Assert.DoesNotContain(first, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(second, server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_secret_that_ssm_does_not_have_stops_start_up_naming_the_setting()
    {
        await using var ssm = FakeSsm.Start();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => MailServerInstance.StartOnMariaDbAsync(
            $"--Mail:Directory:Password=ssm:/aws/reference/secretsmanager/missing#password", $"--Mail:Secrets:ServiceUrl={ssm.Url}"));
        Assert.True(failure.Message.Contains("Mail:Directory:Password: SSM has no parameter /aws/reference/secretsmanager/missing", StringComparison.Ordinal), failure.Message);
    }

    [Fact]
    public async Task A_smarthost_refusing_the_credentials_read_from_ssm_is_named_in_one_error_at_start_up()
    {
        await using var ssm = FakeSsm.Start();
        const string secret = "/aws/reference/secretsmanager/relay";
        ssm.Set(secret, """{"username":"AKIAEXAMPLE","password":"not-the-ses-password"}""");
        await using var smarthost = RefusingSmarthost.Start();

        await using var server = await MailServerInstance.StartAsync(
            "--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={smarthost.Port}",
            $"--Mail:Relay:Username=ssm:{secret}#username", $"--Mail:Relay:Password=ssm:{secret}#password",
            $"--Mail:Secrets:ServiceUrl={ssm.Url}");

        await server.WaitForOutputAsync("REFUSES our login", TimeSpan.FromSeconds(30));
        Assert.Equal(1, server.Output.Split('\n').Count(l => l.Contains("REFUSES our login", StringComparison.Ordinal)));
        Assert.Contains("Authentication credentials invalid", server.Output, StringComparison.Ordinal);
        // What it offered was the secret's, decoded from SSM's JSON: AUTH PLAIN's authzid, authcid, password.
        Assert.Equal("\0AKIAEXAMPLE\0not-the-ses-password", Assert.Single(smarthost.Logins));
        Assert.DoesNotContain("not-the-ses-password", server.Output, StringComparison.Ordinal);
    }

    private static async Task LogInOverImapAsync(MailServerInstance server)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", server.Imaps, SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync("user1@example.jp", MailServerInstance.Password);
        await imap.DisconnectAsync(true);
    }

    private static async Task ExecuteAsync(string connectionString, params string[] statements)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var statement in statements)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }

    /// <summary>An SMTP server that offers AUTH PLAIN without TLS and refuses every login, as SES does a wrong one.</summary>
    private sealed class RefusingSmarthost : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<string> _logins = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public IReadOnlyList<string> Logins
        {
            get
            {
                lock (_logins)
                {
                    return _logins.ToList();
                }
            }
        }

        public static RefusingSmarthost Start()
        {
            var smarthost = new RefusingSmarthost();
            smarthost._listener.Start();
            smarthost._serving = Task.Run(smarthost.ServeAsync);
            return smarthost;
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    await ConverseAsync(client.GetStream());
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
                {
                    // Stopped, or the client went away.
                }
            }
        }

        private async Task ConverseAsync(NetworkStream stream)
        {
            using var reader = new StreamReader(stream, Encoding.ASCII);
            async Task SayAsync(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text + "\r\n"), _stop.Token);
            await SayAsync("220 smarthost.example ESMTP");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await SayAsync("250-smarthost.example\r\n250 AUTH PLAIN");
                        break;
                    case "AUTH":
                        lock (_logins)
                        {
                            _logins.Add(Encoding.UTF8.GetString(Convert.FromBase64String(line.Split(' ')[2])));
                        }

                        await SayAsync("535 5.7.8 Authentication credentials invalid");
                        break;
                    case "QUIT":
                        await SayAsync("221 bye");
                        return;
                    default:
                        await SayAsync("503 5.5.1 Bad sequence");
                        break;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _serving;
            _stop.Dispose();
        }
    }
}
