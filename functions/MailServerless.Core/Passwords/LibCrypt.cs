using System.Runtime.InteropServices;
using System.Text;

namespace MailServerless.Core.Passwords;

/// <summary>
/// The system's crypt(3) (libxcrypt), the same code Dovecot and PostfixAdmin's php_crypt use
/// for MD5-CRYPT, SHA256-CRYPT, SHA512-CRYPT and BLF-CRYPT. Loaded by either soname:
/// <c>libcrypt.so.1</c> (Debian) or <c>libcrypt.so.2</c> (Amazon Linux 2023).
/// </summary>
internal static unsafe class LibCrypt
{
    // sizeof(struct crypt_data) in libxcrypt; crypt_rn refuses a smaller buffer.
    private const int CryptDataSize = 32768;
    private const int SaltBufferSize = 192;

    private static readonly Lazy<Exports?> Library = new(Load);

    public static bool IsAvailable => Library.Value is not null;

    /// <summary>crypt_rn(phrase, setting); null when the setting is unsupported or malformed.</summary>
    public static string? Crypt(string phrase, string setting)
    {
        var exports = Library.Value ?? throw new PlatformNotSupportedException(
            "libcrypt (libcrypt.so.1 or libcrypt.so.2) is not installed; crypt-based password schemes are unavailable.");
        var data = NativeMemory.AllocZeroed(CryptDataSize);
        try
        {
            fixed (byte* phraseBytes = NullTerminated(phrase))
            fixed (byte* settingBytes = NullTerminated(setting))
            {
                var result = exports.CryptRn(phraseBytes, settingBytes, data, CryptDataSize);
                if (result == null || result[0] == (byte)'*')
                {
                    return null;
                }

                return Marshal.PtrToStringUTF8((nint)result);
            }
        }
        finally
        {
            NativeMemory.Free(data);
        }
    }

    /// <summary>crypt_gensalt_rn(prefix, cost) with the library's own randomness.</summary>
    public static string GenerateSalt(string prefix, ulong cost)
    {
        var exports = Library.Value ?? throw new PlatformNotSupportedException("libcrypt is not installed.");
        var output = stackalloc byte[SaltBufferSize];
        fixed (byte* prefixBytes = NullTerminated(prefix))
        {
            var result = exports.GenSaltRn(prefixBytes, cost, null, 0, output, SaltBufferSize);
            if (result == null || result[0] == (byte)'*')
            {
                throw new InvalidOperationException($"libcrypt cannot make a salt for '{prefix}'.");
            }

            return Marshal.PtrToStringUTF8((nint)result)!;
        }
    }

    private static byte[] NullTerminated(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static Exports? Load()
    {
        foreach (var name in new[] { "libcrypt.so.1", "libcrypt.so.2", "libcrypt" })
        {
            if (NativeLibrary.TryLoad(name, out var handle) &&
                NativeLibrary.TryGetExport(handle, "crypt_rn", out var cryptRn) &&
                NativeLibrary.TryGetExport(handle, "crypt_gensalt_rn", out var genSalt))
            {
                return new Exports(
                    (delegate* unmanaged<byte*, byte*, void*, int, byte*>)cryptRn,
                    (delegate* unmanaged<byte*, ulong, byte*, int, byte*, int, byte*>)genSalt);
            }
        }

        return null;
    }

    private sealed class Exports(
        delegate* unmanaged<byte*, byte*, void*, int, byte*> cryptRn,
        delegate* unmanaged<byte*, ulong, byte*, int, byte*, int, byte*> genSaltRn)
    {
        public delegate* unmanaged<byte*, byte*, void*, int, byte*> CryptRn { get; } = cryptRn;

        public delegate* unmanaged<byte*, ulong, byte*, int, byte*, int, byte*> GenSaltRn { get; } = genSaltRn;
    }
}
