using System.Collections.Concurrent;
using System.Net;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>Concurrent connections per client address for one protocol (Postfix's <c>smtpd_client_connection_count_limit</c>).</summary>
public sealed class ConnectionLimiter(int limit)
{
    private readonly ConcurrentDictionary<IPAddress, int> _connections = new();

    /// <summary>Counts a connection from <paramref name="address"/>; false (not counted) when it is one too many.</summary>
    public bool TryOpen(IPAddress address)
    {
        var count = _connections.AddOrUpdate(address, 1, (_, n) => n + 1);
        if (count <= limit)
        {
            return true;
        }

        Close(address);
        return false;
    }

    public void Close(IPAddress address)
    {
        if (_connections.AddOrUpdate(address, 0, (_, n) => n - 1) <= 0)
        {
            _connections.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    }
}
