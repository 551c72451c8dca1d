using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Core.Addresses;

/// <summary>
/// The Sender Rewriting Scheme as libsrs2 and postsrsd write it, so that a forward to an outside address
/// carries an envelope sender of ours (passing SPF as our own mail) that only we can turn back into the
/// original one when a bounce comes: <c>SRS0=HHHH=TT=domain=local@srs-domain</c>, and an address that was
/// SRS-rewritten by another forwarder becomes <c>SRS1=HHHH=first-hop==HHHH=TT=domain=local@srs-domain</c>.
/// HHHH is the first four characters of the Base64 HMAC-SHA1 over the other fields (lower-cased), TT the day
/// (modulo 1024) in two base-32 characters; an address older than <see cref="MaxAgeDays"/> is refused.
/// </summary>
public sealed class SenderRewriting(byte[] secret, string domain, TimeProvider clock)
{
    /// <summary>libsrs2's default <c>maxage</c>.</summary>
    public const int MaxAgeDays = 21;

    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const int HashLength = 4;

    /// <summary>The domain SRS addresses are in (postsrsd's <c>SRS_DOMAIN</c>).</summary>
    public string Domain { get; } = domain.ToLowerInvariant();

    /// <summary>True when the address is in the SRS domain and looks like SRS0 or SRS1.</summary>
    public bool IsRewritten(string address) =>
        Split(address) is { } parts && string.Equals(parts.Domain, Domain, StringComparison.OrdinalIgnoreCase) && IsSrs(parts.Local);

    /// <summary>The envelope sender for a forward of mail from <paramref name="sender"/>; the null sender stays null.</summary>
    public string Forward(string sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (Split(sender) is not { } parts)
        {
            return sender;
        }

        var (local, host) = parts;
        if (local.StartsWith("SRS1", StringComparison.OrdinalIgnoreCase) && local.Length > 4 && IsSeparator(local[4]) &&
            local[5..].Split('=', 3) is [_, var firstHop, var rest] && firstHop.Length > 0 && rest.StartsWith('='))
        {
            // Forwarded again: keep the first forwarder and its part ("=HHH=TT=domain=local"), re-sign them here.
            return $"SRS1={Hash(firstHop, rest)}={firstHop}={rest}@{Domain}";
        }

        if (local.StartsWith("SRS0", StringComparison.OrdinalIgnoreCase) && local.Length > 4 && IsSeparator(local[4]))
        {
            var user = local[4..];
            return $"SRS1={Hash(host, user)}={host}={user}@{Domain}";
        }

        var stamp = Timestamp(Today());
        return $"SRS0={Hash(stamp, host, local)}={stamp}={host}={local}@{Domain}";
    }

    /// <summary>The address an SRS address of ours stands for (an SRS1 gives the first hop's SRS0); null when it is not valid.</summary>
    public string? Reverse(string address)
    {
        if (Split(address) is not { } parts || !string.Equals(parts.Domain, Domain, StringComparison.OrdinalIgnoreCase) || !IsSrs(parts.Local))
        {
            return null;
        }

        var local = parts.Local;
        var fields = local[5..];
        if (local.StartsWith("SRS1", StringComparison.OrdinalIgnoreCase))
        {
            return fields.Split('=', 3) is [var hash, var firstHop, var rest] && firstHop.Length > 0 && rest.StartsWith('=') && Matches(hash, firstHop, rest)
                ? $"SRS0{rest}@{firstHop}"
                : null;
        }

        if (fields.Split('=', 4) is not [var h, var stamp, var host, var user] || host.Length == 0 || user.Length == 0 ||
            !Matches(h, stamp, host, user) || !Fresh(stamp))
        {
            return null;
        }

        return $"{user}@{host}";
    }

    private static bool IsSrs(string local) =>
        local.Length > 5 && (local.StartsWith("SRS0", StringComparison.OrdinalIgnoreCase) || local.StartsWith("SRS1", StringComparison.OrdinalIgnoreCase)) &&
        IsSeparator(local[4]);

    /// <summary>libsrs2 takes '=', '+' or '-' after SRS0/SRS1 (a mangled separator is still read).</summary>
    private static bool IsSeparator(char c) => c is '=' or '+' or '-';

    private static (string Local, string Domain)? Split(string address)
    {
        var at = address.LastIndexOf('@');
        return at > 0 && at < address.Length - 1 ? (address[..at], address[(at + 1)..]) : null;
    }

    private string Hash(params string[] fields)
    {
        var data = Encoding.UTF8.GetBytes(string.Concat(fields).ToLowerInvariant());
        // HMAC-SHA1 is what SRS specifies (and what postsrsd checks): the hash must match theirs, not be stronger.
#pragma warning disable CA5350
        return Convert.ToBase64String(HMACSHA1.HashData(secret, data))[..HashLength];
#pragma warning restore CA5350
    }

    /// <summary>Compared without case (a mail system may fold it) and in constant time.</summary>
    private bool Matches(string given, params string[] fields) =>
        given.Length == HashLength &&
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given.ToUpperInvariant()), Encoding.ASCII.GetBytes(Hash(fields).ToUpperInvariant()));

    private int Today() => (int)(clock.GetUtcNow().ToUnixTimeSeconds() / 86_400);

    private static string Timestamp(int day) => new([Base32[(day >> 5) & 31], Base32[day & 31]]);

    private bool Fresh(string stamp)
    {
        if (stamp.Length != 2)
        {
            return false;
        }

        var high = Base32.IndexOf(char.ToUpperInvariant(stamp[0]), StringComparison.Ordinal);
        var low = Base32.IndexOf(char.ToUpperInvariant(stamp[1]), StringComparison.Ordinal);
        if (high < 0 || low < 0)
        {
            return false;
        }

        var age = (Today() - ((high << 5) | low)) & 1023;
        return age <= MaxAgeDays;
    }
}
