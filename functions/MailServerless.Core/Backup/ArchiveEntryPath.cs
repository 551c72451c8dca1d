using System.Text;

namespace MailServerless.Core.Backup;

/// <summary>
/// An archive entry's name is untrusted input: it is checked before any path is built from it. It must be relative,
/// <c>/</c>-separated, with no empty, <c>.</c> or <c>..</c> level, no backslash, NUL or control character, and no level
/// longer than a file system allows; the path made from it is then checked once more to stay under its root.
/// </summary>
internal static class ArchiveEntryPath
{
    private const int MaxLength = 4096;
    private const int MaxSegmentBytes = 255;

    /// <summary>The levels of <paramref name="name"/> (one trailing <c>/</c>, as directory entries have, is dropped).</summary>
    public static bool TryParse(string name, out IReadOnlyList<string> segments, out string reason)
    {
        ArgumentNullException.ThrowIfNull(name);
        segments = [];
        var trimmed = name.EndsWith('/') ? name[..^1] : name;
        if (trimmed.Length is 0 or > MaxLength)
        {
            reason = "an empty or overlong name";
            return false;
        }

        if (trimmed[0] == '/' || trimmed.Any(c => c == '\\' || char.IsControl(c)))
        {
            reason = "an absolute name, or one with a backslash or control character";
            return false;
        }

        var parts = trimmed.Split('/');
        foreach (var part in parts)
        {
            if (part.Length == 0 || part is "." or "..")
            {
                reason = "an empty, '.' or '..' level";
                return false;
            }

            if (Encoding.UTF8.GetByteCount(part) > MaxSegmentBytes)
            {
                reason = "a level longer than 255 bytes";
                return false;
            }
        }

        segments = parts;
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// The full path of <paramref name="segments"/> under <paramref name="root"/>, checked to stay under it (a second
    /// guard: <see cref="TryParse"/> already refused every name that could leave it).
    /// </summary>
    /// <exception cref="BackupException">The path would leave <paramref name="root"/>.</exception>
    public static string Resolve(string root, IEnumerable<string> segments)
    {
        var rootFull = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar);
        var full = Path.GetFullPath(Path.Join(rootFull, string.Join(Path.DirectorySeparatorChar, segments)));
        if (!full.StartsWith(rootFull + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new BackupException($"an entry would be written outside {rootFull}");
        }

        return full;
    }
}
