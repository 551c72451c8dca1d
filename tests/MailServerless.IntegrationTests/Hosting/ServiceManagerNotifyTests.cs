using System.Net.Sockets;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Hosting;

/// <summary>
/// systemd's notify protocol as a <c>Type=notify</c> unit sees it: a datagram socket named in <c>$NOTIFY_SOCKET</c>
/// receives <c>READY=1</c> once the server listens and its directory answers, <c>WATCHDOG=1</c> at half
/// <c>$WATCHDOG_USEC</c>, and <c>STOPPING=1</c> when it is asked to stop.
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
