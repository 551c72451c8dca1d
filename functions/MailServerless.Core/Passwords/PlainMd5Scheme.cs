using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Core.Passwords;

/// <summary>
/// PLAIN-MD5 (and LDAP-MD5): an unsalted MD5 of the password, hex (Dovecot's default and
/// PostfixAdmin's <c>md5</c> setting) or base64. Verified only; too weak to write.
/// </summary>
public sealed class PlainMd5Scheme : IPasswordScheme
{
    public static PlainMd5Scheme Instance { get; } = new();

    public string Name => "PLAIN-MD5";

    public IReadOnlyList<string> Aliases => ["LDAP-MD5"];

    public PasswordCheck Verify(string password, string stored, StoredEncoding encoding)
    {
        var expected = new byte[MD5.HashSizeInBytes];
        var decoded = encoding switch
        {
            StoredEncoding.Hex => TryHex(stored, expected),
            StoredEncoding.Base64 => TryBase64(stored, expected),
            _ => TryHex(stored, expected) || TryBase64(stored, expected),
        };
        if (!decoded)
        {
            return PasswordCheck.Fail("malformed PLAIN-MD5 value: expected 32 hex digits or 24 base64 characters");
        }

#pragma warning disable CA5351 // MD5 is what the stored value is; it is read, never written.
        var actual = MD5.HashData(Encoding.UTF8.GetBytes(password));
#pragma warning restore CA5351
        return CryptographicOperations.FixedTimeEquals(actual, expected) ? PasswordCheck.Success : PasswordCheck.Mismatch;
    }

    public string Hash(string password) =>
        throw new NotSupportedException("PLAIN-MD5 is accepted for existing passwords only; choose BLF-CRYPT or ARGON2ID.");

    private static bool TryHex(string text, byte[] output)
    {
        if (text.Length != output.Length * 2)
        {
            return false;
        }

        try
        {
            Convert.FromHexString(text).CopyTo(output, 0);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool TryBase64(string text, byte[] output) =>
        Convert.TryFromBase64String(text, output, out var written) && written == output.Length;
}
