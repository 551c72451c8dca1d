using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>The <c>Mail:Auth</c> throttling settings.</summary>
public sealed class AuthThrottleOptions
{
    /// <summary>Every failed login is answered only after this (Dovecot's <c>auth_failure_delay</c>: 2 s).</summary>
    public TimeSpan FailureDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failures from one client address within <see cref="Window"/> before it may not try for the rest of it.</summary>
    public int MaxFailuresPerAddress { get; set; } = 10;

    /// <summary>Failures for one account within <see cref="Window"/> before it is locked for the rest of it.</summary>
    public int MaxFailuresPerAccount { get; set; } = 20;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// Slows down and then stops password guessing, for SMTP, IMAP and POP3 alike: each failure is
/// answered after a delay, and too many failures from one address or for one account within the
/// window refuse further attempts (even a right password) until the window has passed. The moment
/// a client address or an account becomes blocked is logged as a warning (for fail2ban and the like).
/// </summary>
public sealed partial class AuthThrottle(AuthThrottleOptions options, TimeProvider clock, ILogger<AuthThrottle> logger)
{
    private readonly ConcurrentDictionary<string, Counter> _failures = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    public AuthThrottleOptions Options => options;

    /// <summary>True when attempts from this address, or for this account, are refused for now.</summary>
    public bool IsBlocked(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Count("ip:" + address) >= options.MaxFailuresPerAddress ||
               (account is not null && Count("user:" + AccountKey(account)) >= options.MaxFailuresPerAccount);
    }

    public void RecordFailure(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (Increment("ip:" + address) == options.MaxFailuresPerAddress)
        {
            LogAddressBlocked(address, options.MaxFailuresPerAddress, options.Window);
        }

        if (account is not null && Increment("user:" + AccountKey(account)) == options.MaxFailuresPerAccount)
        {
            LogAccountBlocked(AccountKey(account), options.MaxFailuresPerAccount, options.Window, address);
        }
    }

    /// <summary>The account as the directory will read it, so that spelling variants share one budget.</summary>
    private static string AccountKey(string account) =>
        Core.Addresses.EmailAddress.TryParse(account, out var address) ? address.Value : account.Trim().ToLowerInvariant();

    private int Count(string key) =>
        _failures.TryGetValue(key, out var counter) && clock.GetUtcNow() - counter.Since < options.Window ? counter.Failures : 0;

    /// <summary>Counts one failure; returns the failures in the current window, this one included.</summary>
    private int Increment(string key)
    {
        var now = clock.GetUtcNow();
        var counter = _failures.AddOrUpdate(key, _ => new Counter(now, 1), (_, counter) =>
            now - counter.Since < options.Window ? counter with { Failures = counter.Failures + 1 } : new Counter(now, 1));

        // A guessing campaign from many addresses must not grow this without bound: drop what has
        // expired, at most once a minute so that the sweep itself stays cheap.
        if (_failures.Count > 100_000 && now - _lastSweep > TimeSpan.FromMinutes(1))
        {
            _lastSweep = now;
            foreach (var expired in _failures.Where(e => now - e.Value.Since >= options.Window).Select(e => e.Key).ToList())
            {
                _failures.TryRemove(expired, out _);
            }
        }

        return counter.Failures;
    }

    [LoggerMessage(EventId = 6030, Level = LogLevel.Warning,
        Message = "authentication throttle: client [{Client}] blocked after {Failures} failed logins, for up to {Window}")]
    private partial void LogAddressBlocked(IPAddress client, int failures, TimeSpan window);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Warning,
        Message = "authentication throttle: account {Account} locked after {Failures} failed logins, for up to {Window} (last from [{Client}])")]
    private partial void LogAccountBlocked(string account, int failures, TimeSpan window, IPAddress client);

    private sealed record Counter(DateTimeOffset Since, int Failures);
}
