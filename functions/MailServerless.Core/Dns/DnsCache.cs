using System.Collections.Concurrent;

namespace MailServerless.Core.Dns;

/// <summary>
/// Answers kept for their TTL, at most <c>capacity</c> of them: when full, the expired go first, then the ones
/// closest to expiry, so a flood of distinct names (a spammer's random domains) costs bounded memory.
/// </summary>
internal sealed class DnsCache(int capacity, TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string Name, string Type), (object Answer, DateTimeOffset Expires)> _entries = new();
    private int _trimming;

    public bool TryGet<T>(string name, string type, out T answer)
        where T : class
    {
        if (_entries.TryGetValue((name, type), out var entry) && entry.Expires > clock.GetUtcNow() && entry.Answer is T value)
        {
            answer = value;
            return true;
        }

        answer = null!;
        return false;
    }

    public void Set(string name, string type, object answer, TimeSpan ttl)
    {
        if (capacity <= 0 || ttl <= TimeSpan.Zero)
        {
            return;
        }

        _entries[(name, type)] = (answer, clock.GetUtcNow() + ttl);
        if (_entries.Count > capacity && Interlocked.Exchange(ref _trimming, 1) == 0)
        {
            try
            {
                Trim();
            }
            finally
            {
                Volatile.Write(ref _trimming, 0);
            }
        }
    }

    public int Count => _entries.Count;

    /// <summary>Drops the expired answers, then the soonest to expire, down to three quarters of the capacity.</summary>
    private void Trim()
    {
        var now = clock.GetUtcNow();
        foreach (var (key, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }

        var excess = _entries.Count - (capacity * 3 / 4);
        if (excess <= 0)
        {
            return;
        }

        foreach (var key in _entries.OrderBy(e => e.Value.Expires).Take(excess).Select(e => e.Key).ToList())
        {
            _entries.TryRemove(key, out _);
        }
    }
}
