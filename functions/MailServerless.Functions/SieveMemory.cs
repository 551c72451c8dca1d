using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Functions;

/// <summary>
/// What Sieve remembers across messages, in a file in the mailbox's home: which senders a vacation answered, which
/// message ids <c>duplicate</c> has seen. Keys are kept hashed with an expiry, pruned when written, at most
/// <see cref="MaxEntries"/> of them.
/// </summary>
internal static class SieveMemory
{
    public const string VacationFile = ".msl-sieve-vacation";
    public const string DuplicateFile = ".msl-sieve-duplicates";
    private const int MaxEntries = 10_000;

    public static bool Contains(string root, string file, string key, DateTimeOffset now) => Read(Path.Combine(root, file), now).ContainsKey(Hash(key));

    /// <summary>
    /// Records <paramref name="key"/> for <paramref name="seconds"/>; false when it was already there. Deliveries of one
    /// mailbox run at once (workers, hosts): the read and the write are under an exclusive lock file.
    /// </summary>
    public static bool Add(string root, string file, string key, long seconds, DateTimeOffset now)
    {
        var path = Path.Combine(root, file);
        using var exclusive = Lock(path + ".lock");
        var entries = Read(path, now);
        var hashed = Hash(key);
        if (entries.ContainsKey(hashed))
        {
            return false;
        }

        entries[hashed] = now.ToUnixTimeSeconds() + Math.Max(seconds, 1);
        var kept = entries.OrderByDescending(e => e.Value).Take(MaxEntries).Select(e => $"{e.Key}\t{e.Value.ToString(CultureInfo.InvariantCulture)}");
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllLines(temp, kept);
        File.Move(temp, path, overwrite: true);
        return true;
    }

    private static FileStream Lock(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(25);
            }
        }
    }

    private static Dictionary<string, long> Read(string path, DateTimeOffset now)
    {
        var entries = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return entries;
        }

        foreach (var line in File.ReadLines(path))
        {
            var tab = line.LastIndexOf('\t');
            if (tab > 0 && long.TryParse(line.AsSpan(tab + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var until) && until > now.ToUnixTimeSeconds())
            {
                entries[line[..tab]] = until;
            }
        }

        return entries;
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
