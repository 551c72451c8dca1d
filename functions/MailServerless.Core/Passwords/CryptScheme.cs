using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Core.Passwords;

/// <summary>
/// The crypt(3) family, verified by libcrypt as Dovecot does: MD5-CRYPT (<c>$1$</c>),
/// SHA256-CRYPT (<c>$5$</c>), SHA512-CRYPT (<c>$6$</c>), BLF-CRYPT (<c>$2y$</c>/<c>$2b$</c>/<c>$2a$</c>)
/// and CRYPT (whatever the stored setting names).
/// </summary>
public sealed class CryptScheme : IPasswordScheme
{
    private readonly string _saltPrefix;
    private readonly ulong _cost;
    private readonly bool _storeWithPrefix;
    private readonly string[] _settingPrefixes;

    private CryptScheme(
        string name, string[] aliases, string saltPrefix, ulong cost, bool storeWithPrefix, params string[] settingPrefixes)
    {
        Name = name;
        Aliases = aliases;
        _saltPrefix = saltPrefix;
        _cost = cost;
        _storeWithPrefix = storeWithPrefix;
        _settingPrefixes = settingPrefixes;
    }

    /// <summary>PostfixAdmin's md5crypt stores these bare (<c>$1$...</c>), which every reader accepts.</summary>
    public static CryptScheme Md5Crypt { get; } = new("MD5-CRYPT", ["MD5"], "$1$", 0, storeWithPrefix: false, "$1$");

    public static CryptScheme Sha256Crypt { get; } = new("SHA256-CRYPT", [], "$5$", 0, storeWithPrefix: true, "$5$");

    public static CryptScheme Sha512Crypt { get; } = new("SHA512-CRYPT", [], "$6$", 0, storeWithPrefix: true, "$6$");

    /// <summary>bcrypt with cost 10 (Dovecot's doveadm default is 5, too cheap today).</summary>
    public static CryptScheme BlfCrypt { get; } =
        new("BLF-CRYPT", [], "$2y$", 10, storeWithPrefix: true, "$2y$", "$2b$", "$2a$");

    /// <summary>Dovecot's <c>{CRYPT}</c>: the stored setting chooses the algorithm; new hashes are bcrypt.</summary>
    public static CryptScheme Crypt { get; } = new("CRYPT", [], "$2y$", 10, storeWithPrefix: true);

    public string Name { get; }

    public IReadOnlyList<string> Aliases { get; }

    /// <summary>True when <paramref name="stored"/> starts with one of this scheme's <c>$id$</c> prefixes.</summary>
    public bool Recognises(string stored) =>
        _settingPrefixes.Any(p => stored.StartsWith(p, StringComparison.Ordinal));

    public PasswordCheck Verify(string password, string stored, StoredEncoding encoding)
    {
        if (_settingPrefixes.Length > 0 && !Recognises(stored))
        {
            return PasswordCheck.Fail($"{Name} hash does not start with {string.Join(" or ", _settingPrefixes)}");
        }

        if (!LibCrypt.IsAvailable)
        {
            return PasswordCheck.Fail("libcrypt is not installed");
        }

        var computed = LibCrypt.Crypt(password, stored);
        if (computed is null)
        {
            return PasswordCheck.Fail($"malformed {Name} hash");
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(computed), Encoding.UTF8.GetBytes(stored))
            ? PasswordCheck.Success
            : PasswordCheck.Mismatch;
    }

    public string Hash(string password)
    {
        var setting = LibCrypt.GenerateSalt(_saltPrefix, _cost);
        var hash = LibCrypt.Crypt(password, setting)
                   ?? throw new InvalidOperationException($"libcrypt could not hash with {Name}.");
        return _storeWithPrefix ? $"{{{Name}}}{hash}" : hash;
    }
}
