using System.Collections.Concurrent;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// Concurrent connections per key for one protocol: per client address (Postfix's
/// <c>smtpd_client_connection_count_limit</c>), or per user and address (Dovecot's <c>mail_max_userip_connections</c>).
/// </summary>
public sealed class ConnectionLimiter<TKey>(int limit)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, int> _connections = new();

    /// <summary>Counts a connection for <paramref name="key"/>; false (not counted) when it is one too many.</summary>
    public bool TryOpen(TKey key)
    {
        var count = _connections.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (count <= limit)
        {
            return true;
        }

        Close(key);
        return false;
    }

    public void Close(TKey key)
    {
        if (_connections.AddOrUpdate(key, 0, (_, n) => n - 1) <= 0)
        {
            _connections.TryRemove(new KeyValuePair<TKey, int>(key, 0));
        }
    }
}
