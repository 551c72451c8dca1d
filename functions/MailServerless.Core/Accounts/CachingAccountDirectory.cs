using System.Collections.Concurrent;

namespace MailServerless.Core.Accounts;

/// <summary>
/// Remembers directory answers for a short time (Postfix's proxymap does the same for its maps),
/// so that a burst of mail does not query the database for every RCPT and every delivery. Logins
/// are never cached. A change in the directory shows after at most <paramref name="lifetime"/>.
/// </summary>
public sealed class CachingAccountDirectory(IAccountDirectory inner, TimeSpan lifetime, TimeProvider clock) : IAccountDirectory
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, object? Value)> _cache = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Forgets every lookup: the directory was just changed by this process (the admin API).</summary>
    public void Clear() => _cache.Clear();

    public Task<DomainKind> GetDomainKindAsync(string domain, CancellationToken cancellationToken = default) =>
        CachedAsync("d:" + domain, () => inner.GetDomainKindAsync(domain, cancellationToken));

    public Task<IReadOnlyList<string>?> LookupAliasAsync(string address, CancellationToken cancellationToken = default) =>
        CachedAsync("a:" + address, () => inner.LookupAliasAsync(address, cancellationToken));

    public Task<Mailbox?> FindMailboxAsync(string address, CancellationToken cancellationToken = default) =>
        CachedAsync("m:" + address, () => inner.FindMailboxAsync(address, cancellationToken));

    public Task<AuthenticationResult> AuthenticateAsync(string address, string password, CancellationToken cancellationToken = default) =>
        inner.AuthenticateAsync(address, password, cancellationToken);

    private async Task<T> CachedAsync<T>(string key, Func<Task<T>> lookup)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(key, out var hit) && hit.Expires > now)
        {
            return (T)hit.Value!;
        }

        // Failures (DirectoryUnavailableException) are not cached: they propagate.
        var value = await lookup();
        if (_cache.Count >= MaxEntries)
        {
            foreach (var stale in _cache.Where(e => e.Value.Expires <= now).Select(e => e.Key).ToList())
            {
                _cache.TryRemove(stale, out _);
            }

            if (_cache.Count >= MaxEntries)
            {
                _cache.Clear();
            }
        }

        _cache[key] = (now + lifetime, value);
        return value;
    }
}
