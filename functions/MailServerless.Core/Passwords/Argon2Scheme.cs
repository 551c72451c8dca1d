using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace MailServerless.Core.Passwords;

/// <summary>
/// ARGON2I and ARGON2ID in the PHC string format Dovecot writes through libsodium:
/// <c>$argon2id$v=19$m=65536,t=3,p=1$&lt;salt&gt;$&lt;hash&gt;</c> (unpadded base64).
/// </summary>
public sealed class Argon2Scheme : IPasswordScheme
{
    private const int Version = 19;
    private const int MaxMemoryKiB = 1024 * 1024;
    private const int MaxIterations = 64;
    private const int MaxParallelism = 16;
    private readonly string _variant;
    private readonly int _memoryKiB;
    private readonly int _iterations;

    private Argon2Scheme(string name, string variant, int memoryKiB, int iterations)
    {
        Name = name;
        _variant = variant;
        _memoryKiB = memoryKiB;
        _iterations = iterations;
    }

    /// <summary>libsodium's "interactive" limits for argon2i, which Dovecot uses: 32 MiB, 4 passes.</summary>
    public static Argon2Scheme Argon2I { get; } = new("ARGON2I", "argon2i", 32768, 4);

    /// <summary>libsodium's "interactive" limits for argon2id, which Dovecot uses: 64 MiB, 3 passes.</summary>
    public static Argon2Scheme Argon2Id { get; } = new("ARGON2ID", "argon2id", 65536, 3);

    public string Name { get; }

    public IReadOnlyList<string> Aliases => [];

    public bool Recognises(string stored) => stored.StartsWith($"${_variant}$", StringComparison.Ordinal);

    public PasswordCheck Verify(string password, string stored, StoredEncoding encoding)
    {
        if (!TryParse(stored, out var memory, out var iterations, out var parallelism, out var salt, out var expected, out var reason))
        {
            return PasswordCheck.Fail($"malformed {Name} hash: {reason}");
        }

        var actual = Compute(password, salt, memory, iterations, parallelism, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected) ? PasswordCheck.Success : PasswordCheck.Mismatch;
    }

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Compute(password, salt, _memoryKiB, _iterations, 1, 32);
        return string.Create(CultureInfo.InvariantCulture,
            $"{{{Name}}}${_variant}$v={Version}$m={_memoryKiB},t={_iterations},p=1${Unpadded(salt)}${Unpadded(hash)}");
    }

    private byte[] Compute(string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        using Argon2 argon = _variant == "argon2id" ? new Argon2id(bytes) : new Argon2i(bytes);
        argon.Salt = salt;
        argon.MemorySize = memoryKiB;
        argon.Iterations = iterations;
        argon.DegreeOfParallelism = parallelism;
        return argon.GetBytes(length);
    }

    private bool TryParse(
        string stored, out int memory, out int iterations, out int parallelism, out byte[] salt, out byte[] hash, out string reason)
    {
        memory = iterations = parallelism = 0;
        salt = hash = [];
        // "", variant, "v=19", "m=..,t=..,p=..", salt, hash
        var parts = stored.Split('$');
        if (parts.Length != 6 || parts[0].Length != 0 || parts[1] != _variant)
        {
            reason = $"expected ${_variant}$v=..$m=..,t=..,p=..$salt$hash";
            return false;
        }

        if (parts[2] != $"v={Version}")
        {
            reason = $"unsupported version '{parts[2]}'";
            return false;
        }

        foreach (var setting in parts[3].Split(','))
        {
            var pair = setting.Split('=', 2);
            if (pair.Length != 2 || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                reason = $"bad parameter '{setting}'";
                return false;
            }

            switch (pair[0])
            {
                case "m": memory = value; break;
                case "t": iterations = value; break;
                case "p": parallelism = value; break;
                default:
                    reason = $"unknown parameter '{pair[0]}'";
                    return false;
            }
        }

        // Bound the work a stored value can ask for: a hostile row must not exhaust memory.
        if (memory is < 8 or > MaxMemoryKiB || iterations is < 1 or > MaxIterations || parallelism is < 1 or > MaxParallelism)
        {
            reason = "parameters out of range";
            return false;
        }

        // Argon2 needs at least 8 KiB of memory per lane; tags longer than 1024 bytes are not computed.
        if (memory < 8 * parallelism)
        {
            reason = "memory below 8 KiB per lane";
            return false;
        }

        if (!TryUnpadded(parts[4], out salt) || salt.Length < 8 || !TryUnpadded(parts[5], out hash) || hash.Length is < 16 or > 1024)
        {
            reason = "bad base64 salt or hash";
            return false;
        }

        reason = string.Empty;
        return true;
    }

    private static string Unpadded(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryUnpadded(string text, out byte[] bytes)
    {
        var padded = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        bytes = new byte[padded.Length];
        if (Convert.TryFromBase64String(padded, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        bytes = [];
        return false;
    }
}
