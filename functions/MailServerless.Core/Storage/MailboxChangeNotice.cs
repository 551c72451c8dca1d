using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// The datagram that says a folder changed: <c>MSL1 &lt;unix seconds&gt; &lt;folder path under the store&gt;</c>, a line
/// feed, and the Base64 HMAC-SHA256 of that first line under the shared key. A notice only makes sessions look at the
/// folder sooner, so a forged or replayed one could cost a look and nothing more; the key and the 60-second window
/// keep even that to hosts that share the directory.
/// </summary>
public static class MailboxChangeNotice
{
    private const string Magic = "MSL1";
    private const int MaxLength = 1024;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    public static byte[] Encode(string relativeFolder, DateTimeOffset now, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(relativeFolder);
        var line = $"{Magic} {now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} {relativeFolder}";
        return Encoding.UTF8.GetBytes(line + "\n" + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(line))));
    }

    /// <summary>The folder (relative to the store) a genuine, recent notice names; null for anything else.</summary>
    public static string? Decode(ReadOnlySpan<byte> datagram, DateTimeOffset now, byte[] key)
    {
        if (datagram.Length is 0 or > MaxLength)
        {
            return null;
        }

        var newline = datagram.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return null;
        }

        var line = datagram[..newline];
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, line, expected);
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes + 3];
        if (!Convert.TryFromBase64String(Encoding.ASCII.GetString(datagram[(newline + 1)..]), given, out var length) ||
            length != expected.Length || !CryptographicOperations.FixedTimeEquals(given[..length], expected))
        {
            return null;
        }

        var fields = Encoding.UTF8.GetString(line).Split(' ', 3);
        if (fields is not [Magic, var seconds, var folder] ||
            !long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var unix) ||
            (now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(unix, 0, 253402300799))).Duration() > Window)
        {
            return null;
        }

        return folder;
    }

    /// <summary>
    /// The folder's full path under <paramref name="storeBase"/>, or null when <paramref name="relativeFolder"/> would
    /// leave it (a rooted path, <c>..</c>): no notice names a path outside the store.
    /// </summary>
    public static string? Resolve(string storeBase, string relativeFolder)
    {
        ArgumentNullException.ThrowIfNull(relativeFolder);
        var root = Path.GetFullPath(storeBase).TrimEnd('/') + "/";
        if (relativeFolder.Length == 0 || Path.IsPathRooted(relativeFolder) || relativeFolder.Split('/').Contains(".."))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(root, relativeFolder)).TrimEnd('/');
        return full.StartsWith(root, StringComparison.Ordinal) ? full : null;
    }
}
