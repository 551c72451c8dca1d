using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Passwords;

/// <summary>
/// Verifies stored passwords in every scheme PostfixAdmin and Dovecot write, and hashes new
/// ones with the configured scheme. A stored value is read the way Dovecot reads it:
/// <c>{SCHEME}value</c>; else a crypt/PHC <c>$id$</c> prefix names the scheme; else the
/// configured default scheme (the seed's <c>default_pass_scheme = MD5-CRYPT</c>).
/// </summary>
public sealed partial class PasswordService
{
    private static readonly IReadOnlyList<IPasswordScheme> AllSchemes =
    [
        CryptScheme.Md5Crypt, CryptScheme.Sha256Crypt, CryptScheme.Sha512Crypt, CryptScheme.BlfCrypt, CryptScheme.Crypt,
        Argon2Scheme.Argon2I, Argon2Scheme.Argon2Id, PlainMd5Scheme.Instance, PlainScheme.Instance,
    ];

    private static readonly Dictionary<string, IPasswordScheme> ByName = AllSchemes
        .SelectMany(s => s.Aliases.Append(s.Name).Select(n => (Name: n, Scheme: s)))
        .ToDictionary(p => p.Name, p => p.Scheme, StringComparer.OrdinalIgnoreCase);

    /// <summary>Schemes that new passwords may be written with (stock Dovecot verifies each).</summary>
    public static IReadOnlyList<string> WritableSchemes { get; } =
        ["BLF-CRYPT", "ARGON2ID", "ARGON2I", "SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT"];

    private readonly IPasswordScheme _defaultScheme;
    private readonly IPasswordScheme _newScheme;
    private readonly ILogger _logger;

    public PasswordService(string defaultScheme, string newScheme, ILogger<PasswordService> logger)
    {
        (_defaultScheme, _newScheme) = ResolveConfiguredSchemes(defaultScheme, newScheme);
        _logger = logger;
        _dummy = new Lazy<string>(() => Hash(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))));
    }

    /// <summary>
    /// Checks the two configured scheme names; throws <see cref="ArgumentException"/> naming the setting.
    /// Hosts call this at start-up so a bad setting stops the process before it serves anything.
    /// </summary>
    public static (IPasswordScheme Default, IPasswordScheme New) ResolveConfiguredSchemes(string defaultScheme, string newScheme)
    {
        var fallback = Find(defaultScheme)
            ?? throw new ArgumentException(
                $"Mail:Directory:DefaultPasswordScheme '{defaultScheme}' is not a known scheme.", nameof(defaultScheme));
        if (!WritableSchemes.Contains(newScheme, StringComparer.OrdinalIgnoreCase) || Find(newScheme) is not { } scheme)
        {
            throw new ArgumentException(
                $"Mail:Directory:NewPasswordScheme '{newScheme}' is not one of {string.Join(", ", WritableSchemes)}.",
                nameof(newScheme));
        }

        return (fallback, scheme);
    }

    public string NewPasswordScheme => _newScheme.Name;

    private readonly Lazy<string> _dummy;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _checks = new(StringComparer.Ordinal);
    private string? _lastChecked;

    /// <summary>Hashes computed to check a password with <paramref name="scheme"/> since start (the work a login costs).</summary>
    public long ChecksOf(string scheme) => _checks.GetValueOrDefault(scheme);

    public static IPasswordScheme? Find(string name) => ByName.GetValueOrDefault(name.Trim());

    /// <summary>Hashes a new password with the configured scheme.</summary>
    public string Hash(string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        return _newScheme.Hash(password);
    }

    /// <summary>
    /// Spends the time a password check takes, for a login whose account does not exist, so that timing cannot
    /// tell which accounts do: against the last stored hash checked (the directory's scheme and cost, whatever
    /// it holds), or a hash of the new-password scheme until one has been. The outcome is thrown away.
    /// </summary>
    public void SpendCheckTime(string? password)
    {
        var stored = Volatile.Read(ref _lastChecked) ?? _dummy.Value;
        VerifyCore(string.IsNullOrEmpty(password) ? "-" : password, stored);
    }

    /// <summary>Checks a password against a stored value. Never throws for bad input.</summary>
    public PasswordCheck Verify(string? password, string? stored, string? user = null)
    {
        var check = VerifyCore(password, stored);
        if (!check.Succeeded)
        {
            LogFailure(user ?? "(unknown)", check.FailureReason ?? "unknown reason");
        }

        return check;
    }

    private PasswordCheck VerifyCore(string? password, string? stored)
    {
        if (string.IsNullOrEmpty(password))
        {
            return PasswordCheck.Fail("empty password");
        }

        if (password.Contains('\0', StringComparison.Ordinal))
        {
            return PasswordCheck.Fail("password contains NUL");
        }

        if (string.IsNullOrEmpty(stored))
        {
            return PasswordCheck.Fail("no password is stored");
        }

        if (!TryResolve(stored, out var scheme, out var value, out var encoding, out var reason))
        {
            return PasswordCheck.Fail(reason);
        }

        Volatile.Write(ref _lastChecked, stored);
        _checks.AddOrUpdate(scheme.Name, 1, (_, n) => n + 1);
        try
        {
            return scheme.Verify(password, value, encoding);
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidOperationException or DllNotFoundException
                                       or NotSupportedException or AggregateException or ArgumentException)
        {
            return PasswordCheck.Fail($"{scheme.Name} unavailable: {e.Message}");
        }
    }

    private bool TryResolve(
        string stored, out IPasswordScheme scheme, out string value, out StoredEncoding encoding, out string reason)
    {
        scheme = _defaultScheme;
        value = stored;
        encoding = StoredEncoding.Default;
        reason = string.Empty;

        if (stored.StartsWith('{'))
        {
            var close = stored.IndexOf('}', StringComparison.Ordinal);
            if (close < 0)
            {
                reason = "stored value has an unterminated {SCHEME} prefix";
                return false;
            }

            var name = stored[1..close];
            value = stored[(close + 1)..];
            var dot = name.LastIndexOf('.');
            if (dot > 0)
            {
                encoding = name[(dot + 1)..].ToUpperInvariant() switch
                {
                    "B64" or "BASE64" => StoredEncoding.Base64,
                    "HEX" => StoredEncoding.Hex,
                    _ => StoredEncoding.Default,
                };
                if (encoding != StoredEncoding.Default)
                {
                    name = name[..dot];
                }
            }

            if (Find(name) is not { } named)
            {
                reason = $"unknown password scheme '{name}'";
                return false;
            }

            scheme = named;
            return true;
        }

        if (stored.StartsWith('$'))
        {
            var detected = AllSchemes.FirstOrDefault(s =>
                (s is CryptScheme crypt && crypt.Recognises(stored)) || (s is Argon2Scheme argon && argon.Recognises(stored)));
            if (detected is null)
            {
                reason = "unrecognised $id$ prefix on stored hash";
                return false;
            }

            scheme = detected;
        }

        return true;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Password check failed for {User}: {Reason}")]
    private partial void LogFailure(string user, string reason);
}
