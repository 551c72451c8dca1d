using MailServerless.Core.Diagnostics;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// Slows down and then stops password guessing, for SMTP, IMAP, POP3 and the admin API alike, without letting
/// anyone lock an account out. Each failure is answered after a delay. Failures are counted per client (an IPv4
/// address or an IPv6 /64) and per account and client: past either budget within the window, that client
/// (for every account, or for that one) is refused even a right password until the window has passed. Failures
/// for one account from all clients only add delay, as Dovecot's auth penalty does: past their budget, attempts
/// for it from a client that has failed before wait <see cref="AuthOptions.AccountPenalty"/> first, while a
/// client with no failures logs in at once. Attempts still being checked count too, so parallel connections
/// cannot guess past a budget. Each block is logged as a warning (for fail2ban and the like).
/// </summary>
public sealed partial class AuthThrottle(AuthOptions options, TimeProvider clock, ILogger<AuthThrottle> logger)
{
    private const int MaxAccountLength = 320;
    private readonly ConcurrentDictionary<string, Counter> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    public AuthOptions Options => options;

    /// <summary>True when a new attempt from this client, or for this account from it, would be refused now.</summary>
    public bool IsBlocked(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        var keys = new Keys(address, account);
        return Refuses(keys, InFlight(keys.Address) + 1, keys.Pair is null ? 0 : InFlight(keys.Pair) + 1);
    }

    /// <summary>
    /// Starts a login attempt, after the account's penalty when it applies; null when the client is blocked, for
    /// every account or for this one (the attempt must be refused). Dispose the attempt when its answer is known;
    /// call <see cref="Attempt.Fail"/> first when the password was wrong.
    /// </summary>
    public async Task<Attempt?> BeginAsync(IPAddress address, string? account, CancellationToken cancellationToken)
    {
        var attempt = TryBegin(address, account);
        if (attempt is not null && Penalty(attempt.Keys) is { } penalty)
        {
            try
            {
                await Task.Delay(penalty, clock, cancellationToken);
            }
            catch
            {
                attempt.Dispose();
                throw;
            }
        }

        return attempt;
    }

    /// <summary>As <see cref="BeginAsync"/>, without the penalty's wait.</summary>
    public Attempt? TryBegin(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        var keys = new Keys(address, account);
        var attempt = new Attempt(this, address, keys);
        var addressInFlight = _inFlight.AddOrUpdate(keys.Address, 1, (_, n) => n + 1);
        var pairInFlight = keys.Pair is null ? 0 : _inFlight.AddOrUpdate(keys.Pair, 1, (_, n) => n + 1);
        if (Refuses(keys, addressInFlight, pairInFlight))
        {
            attempt.Dispose();
            return null;
        }

        return attempt;
    }

    /// <summary>The wait before an attempt for an account under attack, from a client that has failed before; null for none.</summary>
    public TimeSpan? Penalty(IPAddress address, string? account) => Penalty(new Keys(address, account));

    private TimeSpan? Penalty(Keys keys) =>
        keys.Account is not null && Count(keys.Account) >= options.MaxFailuresPerAccount && Count(keys.Address) > 0 && options.AccountPenalty > TimeSpan.Zero
            ? options.AccountPenalty
            : null;

    /// <summary>The rule: failures in the window plus attempts under way (this one included) over the client's or the pair's budget.</summary>
    private bool Refuses(Keys keys, int addressInFlight, int pairInFlight) =>
        Count(keys.Address) + addressInFlight > options.MaxFailuresPerAddress ||
        (keys.Pair is not null && Count(keys.Pair) + pairInFlight > options.MaxFailuresPerAccountAndAddress);

    private int InFlight(string key) => _inFlight.TryGetValue(key, out var n) ? n : 0;

    /// <summary>One login attempt in progress.</summary>
    public sealed class Attempt : IDisposable
    {
        private readonly AuthThrottle _throttle;
        private readonly IPAddress _address;
        private int _disposed;

        internal Attempt(AuthThrottle throttle, IPAddress address, Keys keys)
        {
            _throttle = throttle;
            _address = address;
            Keys = keys;
        }

        internal Keys Keys { get; }

        /// <summary>The password was wrong: the failure counts against the client, the account and the pair.</summary>
        public void Fail() => _throttle.RecordFailure(_address, Keys);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _throttle.Release(Keys.Address);
                if (Keys.Pair is not null)
                {
                    _throttle.Release(Keys.Pair);
                }
            }
        }
    }

    /// <summary>The counters one attempt touches: its client's, its account's, and the pair's.</summary>
    internal sealed class Keys
    {
        public Keys(IPAddress address, string? account)
        {
            Address = AddressKey(address);
            Account = account is null ? null : AccountKey(account);
            Pair = Account is null ? null : Account + "\n" + Address;
        }

        public string Address { get; }

        public string? Account { get; }

        public string? Pair { get; }
    }

    private void Release(string key)
    {
        if (_inFlight.AddOrUpdate(key, 0, (_, n) => n - 1) <= 0)
        {
            _inFlight.TryRemove(new KeyValuePair<string, int>(key, 0));
        }
    }

    private void RecordFailure(IPAddress address, Keys keys)
    {
        if (Increment(keys.Address) == options.MaxFailuresPerAddress)
        {
            LogAddressBlocked(address, options.MaxFailuresPerAddress, options.Window);
        }

        if (keys.Pair is null || keys.Account is null)
        {
            return;
        }

        var account = LogText.Safe(keys.Account["user:".Length..]);
        if (Increment(keys.Pair) == options.MaxFailuresPerAccountAndAddress)
        {
            LogPairBlocked(address, account, options.MaxFailuresPerAccountAndAddress, options.Window);
        }

        if (Increment(keys.Account) == options.MaxFailuresPerAccount)
        {
            LogAccountSlowed(account, options.MaxFailuresPerAccount, options.AccountPenalty, address);
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

    [LoggerMessage(EventId = 6052, Level = LogLevel.Warning,
        Message = "authentication throttle: client [{Client}] blocked for account {Account} after {Failures} failed logins, for up to {Window}")]
    private partial void LogPairBlocked(IPAddress client, string account, int failures, TimeSpan window);

    [LoggerMessage(EventId = 6051, Level = LogLevel.Warning,
        Message = "authentication throttle: account {Account} has {Failures} failed logins; attempts for it from clients that failed wait {Penalty} (last from [{Client}])")]
    private partial void LogAccountSlowed(string account, int failures, TimeSpan penalty, IPAddress client);

    private sealed record Counter(DateTimeOffset Since, int Failures);
}
