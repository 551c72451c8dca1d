using MailServerless.Core.Diagnostics;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// Slows down and then stops password guessing, for SMTP, IMAP, POP3 and the admin API alike: each failure
/// is answered after a delay, and too many failures from one client (an IPv4 address or an IPv6 /64) or for
/// one account within the window refuse further attempts (even a right password) until the window has
/// passed. Attempts still being checked count too, so parallel connections cannot guess past the budget.
/// The moment a client or an account becomes blocked is logged as a warning (for fail2ban and the like).
/// </summary>
public sealed partial class AuthThrottle(AuthOptions options, TimeProvider clock, ILogger<AuthThrottle> logger)
{
    private const int MaxAccountLength = 320;
    private readonly ConcurrentDictionary<string, Counter> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    public AuthOptions Options => options;

    /// <summary>True when a new attempt from this client, or for this account, would be refused now.</summary>
    public bool IsBlocked(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        var accountKey = account is null ? null : AccountKey(account);
        var addressKey = AddressKey(address);
        return Refuses(addressKey, accountKey, InFlight(addressKey) + 1, accountKey is null ? 0 : InFlight(accountKey) + 1);
    }

    /// <summary>
    /// Starts a login attempt; null when the client or the account is blocked (the attempt must be refused).
    /// Dispose the attempt when its answer is known; call <see cref="Attempt.Fail"/> first when the password was wrong.
    /// </summary>
    public Attempt? TryBegin(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        var addressKey = AddressKey(address);
        var accountKey = account is null ? null : AccountKey(account);
        var attempt = new Attempt(this, address, addressKey, accountKey);
        var addressInFlight = _inFlight.AddOrUpdate(addressKey, 1, (_, n) => n + 1);
        var accountInFlight = accountKey is null ? 0 : _inFlight.AddOrUpdate(accountKey, 1, (_, n) => n + 1);
        if (Refuses(addressKey, accountKey, addressInFlight, accountInFlight))
        {
            attempt.Dispose();
            return null;
        }

        return attempt;
    }

    /// <summary>The rule: failures in the window plus attempts under way (this one included) over either budget.</summary>
    private bool Refuses(string addressKey, string? accountKey, int addressInFlight, int accountInFlight) =>
        Count(addressKey) + addressInFlight > options.MaxFailuresPerAddress ||
        (accountKey is not null && Count(accountKey) + accountInFlight > options.MaxFailuresPerAccount);

    private int InFlight(string key) => _inFlight.TryGetValue(key, out var n) ? n : 0;

    /// <summary>One login attempt in progress.</summary>
    public sealed class Attempt : IDisposable
    {
        private readonly AuthThrottle _throttle;
        private readonly IPAddress _address;
        private readonly string _addressKey;
        private readonly string? _accountKey;
        private int _disposed;

        internal Attempt(AuthThrottle throttle, IPAddress address, string addressKey, string? accountKey)
        {
            _throttle = throttle;
            _address = address;
            _addressKey = addressKey;
            _accountKey = accountKey;
        }

        /// <summary>The password was wrong: the failure counts against the client and the account.</summary>
        public void Fail() => _throttle.RecordFailure(_address, _addressKey, _accountKey);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _throttle.Release(_addressKey);
                if (_accountKey is not null)
                {
                    _throttle.Release(_accountKey);
                }
            }
        }
    }

    private void Release(string key)
    {
        if (_inFlight.AddOrUpdate(key, 0, (_, n) => n - 1) <= 0)
        {
            _inFlight.TryRemove(new KeyValuePair<string, int>(key, 0));
        }
    }

    private void RecordFailure(IPAddress address, string addressKey, string? accountKey)
    {
        if (Increment(addressKey) == options.MaxFailuresPerAddress)
        {
            LogAddressBlocked(address, options.MaxFailuresPerAddress, options.Window);
        }

        if (accountKey is not null && Increment(accountKey) == options.MaxFailuresPerAccount)
        {
            LogAccountBlocked(LogText.Safe(accountKey["user:".Length..]), options.MaxFailuresPerAccount, options.Window, address);
        }
    }

    /// <summary>An IPv4 address, or an IPv6 address's /64: one host usually holds a whole /64.</summary>
    private static string AddressKey(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || address.IsIPv4MappedToIPv6)
        {
            return "ip:" + (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return "ip:" + new IPAddress(bytes) + "/64";
    }

    /// <summary>The account as the directory will read it, so that spelling variants share one budget.</summary>
    private static string AccountKey(string account)
    {
        var normalised = Core.Addresses.EmailAddress.TryParse(account, out var address) ? address.Value : account.Trim().ToLowerInvariant();
        return "user:" + (normalised.Length > MaxAccountLength ? normalised[..MaxAccountLength] : normalised);
    }

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
            foreach (var expired in _failures.Where(e => now - e.Value.Since >= options.Window).ToList())
            {
                _failures.TryRemove(expired);
            }
        }

        return counter.Failures;
    }

    [LoggerMessage(EventId = 6050, Level = LogLevel.Warning,
        Message = "authentication throttle: client [{Client}] blocked after {Failures} failed logins, for up to {Window}")]
    private partial void LogAddressBlocked(IPAddress client, int failures, TimeSpan window);

    [LoggerMessage(EventId = 6051, Level = LogLevel.Warning,
        Message = "authentication throttle: account {Account} locked after {Failures} failed logins, for up to {Window} (last from [{Client}])")]
    private partial void LogAccountBlocked(string account, int failures, TimeSpan window, IPAddress client);

    private sealed record Counter(DateTimeOffset Since, int Failures);
}
