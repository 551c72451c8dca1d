namespace MailServerless.Core.Passwords;

/// <summary>
/// One password scheme as Dovecot names it (<c>MD5-CRYPT</c>, <c>ARGON2ID</c>, ...).
/// Implementations never throw for bad input: they answer a failed check with its reason.
/// </summary>
public interface IPasswordScheme
{
    /// <summary>The canonical Dovecot name.</summary>
    string Name { get; }

    /// <summary>Other names Dovecot accepts for the same scheme (<c>MD5</c> for <c>MD5-CRYPT</c>).</summary>
    IReadOnlyList<string> Aliases { get; }

    /// <summary>Checks <paramref name="password"/> against the stored value without its <c>{SCHEME}</c> prefix.</summary>
    /// <param name="encoding">The <c>.b64</c> / <c>.hex</c> suffix of the prefix, if any.</param>
    PasswordCheck Verify(string password, string stored, StoredEncoding encoding);

    /// <summary>A new hash of <paramref name="password"/>, with the prefix this scheme is stored with.</summary>
    string Hash(string password);
}

/// <summary>How a stored value is encoded, from Dovecot's <c>{SCHEME.b64}</c>/<c>{SCHEME.hex}</c> suffix.</summary>
public enum StoredEncoding
{
    Default,
    Base64,
    Hex,
}
