using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Core.Passwords;

/// <summary>Dovecot's <c>{PLAIN}</c> / <c>{CLEARTEXT}</c>: the password itself. Verified only.</summary>
public sealed class PlainScheme : IPasswordScheme
{
    public static PlainScheme Instance { get; } = new();

    public string Name => "PLAIN";

    public IReadOnlyList<string> Aliases => ["CLEARTEXT"];

    public PasswordCheck Verify(string password, string stored, StoredEncoding encoding)
    {
        byte[] expected;
        switch (encoding)
        {
            case StoredEncoding.Base64:
                var buffer = new byte[stored.Length];
                if (!Convert.TryFromBase64String(stored, buffer, out var written))
                {
                    return PasswordCheck.Fail("malformed PLAIN.b64 value");
                }

                expected = buffer[..written];
                break;
            case StoredEncoding.Hex:
                try
                {
                    expected = Convert.FromHexString(stored);
                }
                catch (FormatException)
                {
                    return PasswordCheck.Fail("malformed PLAIN.hex value");
                }

                break;
            default:
                expected = Encoding.UTF8.GetBytes(stored);
                break;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), expected)
            ? PasswordCheck.Success
            : PasswordCheck.Mismatch;
    }

    public string Hash(string password) =>
        throw new NotSupportedException("Cleartext storage is accepted for existing passwords only; choose BLF-CRYPT or ARGON2ID.");
}
