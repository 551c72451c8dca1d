using System.Net;
using System.Net.Sockets;

namespace MailServerless.Testing;

/// <summary>
/// A TCP forwarder in front of a server (the test MariaDB) that a test can take down and bring back:
/// down, every open connection is cut and new ones are refused, as when the database server stops.
/// </summary>
public sealed class TcpOutage : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _down;

    public TcpOutage(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Down()
    {
        _down = true;
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Close();
            }

            _open.Clear();
        }
    }

    public void Up() => _down = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_down)
            {
                client.Close();
                continue;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }

            var up = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Cut by Down(), or the end of the connection.
        }
        finally
        {
            client.Close();
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(server);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Down();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
