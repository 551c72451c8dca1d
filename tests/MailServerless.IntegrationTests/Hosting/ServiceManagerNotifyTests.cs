using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Hosting;

/// <summary>
/// systemd's notify protocol as a <c>Type=notify</c> unit sees it: a datagram socket named in <c>$NOTIFY_SOCKET</c>
/// receives <c>READY=1</c> once the server listens and its directory answers, <c>WATCHDOG=1</c> at half
/// <c>$WATCHDOG_USEC</c>, and <c>STOPPING=1</c> when it is asked to stop; a SIGHUP (<c>systemctl reload</c>,
/// <c>Type=notify-reload</c>) is <c>RELOADING=1</c>, the settings files and the certificate read again, then <c>READY=1</c>.
/// </summary>
public sealed class ServiceManagerNotifyTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "msl-notify-" + Guid.NewGuid().ToString("N"));
    private readonly string _socketPath = Path.Combine(Path.GetTempPath(), $"msl-notify-{Guid.NewGuid():N}.sock");
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public ServiceManagerNotifyTests() => _socket.Bind(new UnixDomainSocketEndPoint(_socketPath));

    [Fact]
    public async Task The_service_manager_hears_ready_then_watchdog_pings_then_stopping()
    {
        var port = EdgeServerProcess.FreePort();
        await using var server = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, port), environment: new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = _socketPath,
            ["WATCHDOG_USEC"] = "400000",
        });

        var ready = await ReceiveAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("READY=1", ready, StringComparison.Ordinal);
        Assert.Contains("STATUS=mode AllInOne", ready, StringComparison.Ordinal);
        Assert.Contains("MAINPID=", ready, StringComparison.Ordinal);
        // Ready means ready: the listeners are up by then.
        using (var http = new HttpClient())
        {
            Assert.Equal("ok\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health")));
        }

        Assert.Equal("WATCHDOG=1", await ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("WATCHDOG=1", await ReceiveAsync(TimeSpan.FromSeconds(5)));

        var terminated = await ProcessRunner.RunAsync("kill", ["-TERM", server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(0, terminated.ExitCode);
        string last;
        do
        {
            last = await ReceiveAsync(TimeSpan.FromSeconds(10));
        }
        while (last == "WATCHDOG=1");

        Assert.Equal("STOPPING=1", last);
    }

    [Fact]
    public async Task A_hangup_reloads_the_log_levels_and_the_certificate_and_says_reloading_then_ready()
    {
        var (port, smtp) = (EdgeServerProcess.FreePort(), EdgeServerProcess.FreePort());
        // The operator's settings file beside the binary (appsettings.<environment>.json), read again on SIGHUP.
        var environment = "ReloadTest" + Guid.NewGuid().ToString("N");
        var settings = Path.Combine(Path.GetDirectoryName(EdgeServerProcess.ServerDll)!, $"appsettings.{environment}.json");
        await File.WriteAllTextAsync(settings, """{ "Logging": { "LogLevel": { "MailServerless.EdgeServer.Smtp": "Warning" } } }""");
        try
        {
            await using var server = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, port, $"--Mail:Listeners:Smtp={smtp}"),
                environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = _socketPath, ["DOTNET_ENVIRONMENT"] = environment });
            Assert.Contains("READY=1", await ReceiveAsync(TimeSpan.FromSeconds(60)), StringComparison.Ordinal);
            await SmtpHelloAsync(smtp);
            await Task.Delay(500);
            Assert.DoesNotContain("smtp connect from", server.Output, StringComparison.Ordinal);

            // A renewed certificate put in place, and the SMTP log turned up: SIGHUP takes both.
            using var renewed = TestCertificateAuthority.SelfSigned("renewed.example.jp");
            await File.WriteAllTextAsync(Path.Combine(_data, "tls-key.pem"), renewed.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            await File.WriteAllTextAsync(Path.Combine(_data, "tls-cert.pem"), renewed.ExportCertificatePem());
            await File.WriteAllTextAsync(settings, """{ "Logging": { "LogLevel": { "MailServerless.EdgeServer.Smtp": "Information" } } }""");
            Assert.Equal(0, (await ProcessRunner.RunAsync("kill", ["-HUP", server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)])).ExitCode);

            var reloading = await ReceiveAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", reloading, StringComparison.Ordinal);
            Assert.Equal("READY=1", await ReceiveAsync(TimeSpan.FromSeconds(10)));
            await WaitForOutputAsync(server, "reload (SIGHUP): settings files read again (log levels); serving CN=renewed.example.jp");
            await SmtpHelloAsync(smtp);
            await WaitForOutputAsync(server, "smtp connect from");
            Assert.False(server.HasExited);
        }
        finally
        {
            File.Delete(settings);
        }
    }

    private static async Task WaitForOutputAsync(EdgeServerProcess server, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!server.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{text}' not logged:\n{server.Output}");
            await Task.Delay(100);
        }
    }

    private static async Task SmtpHelloAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        using var reader = new StreamReader(client.GetStream());
        Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        await client.GetStream().WriteAsync("QUIT\r\n"u8.ToArray());
        Assert.StartsWith("221 ", await reader.ReadLineAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_notify_socket_the_server_sends_nothing_and_runs_as_before()
    {
        var port = EdgeServerProcess.FreePort();
        await using var server = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, port), environment: new Dictionary<string, string>
        {
            ["WATCHDOG_USEC"] = "400000",
        });
        Assert.True(await server.WaitUntilListeningAsync(TimeSpan.FromSeconds(60)), server.Output);
        await Assert.ThrowsAsync<OperationCanceledException>(() => ReceiveAsync(TimeSpan.FromSeconds(1)));
    }

    private async Task<string> ReceiveAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        var received = await _socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(_socketPath);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
