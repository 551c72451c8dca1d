using System.Globalization;

namespace MailServerless.EdgeServer.Update;

/// <summary>
/// Releases side by side under <c>&lt;install&gt;/releases/</c>, and <c>&lt;install&gt;/current</c>, a symbolic link to
/// the one that runs (the service starts <c>current/MailServerless.EdgeServer</c>). Switching is one rename, so the
/// link is never missing or half-written; the last few releases are kept to go back to.
/// </summary>
public sealed class ReleaseLayout(string installDirectory)
{
    private const string ShaFile = ".release-sha256";

    public string Current => Path.Combine(installDirectory, "current");

    public string Releases => Path.Combine(installDirectory, "releases");

    /// <summary>The release <c>current</c> points at, or null.</summary>
    public string? CurrentRelease =>
        new FileInfo(Current).LinkTarget is { } target ? Path.GetFullPath(target, installDirectory) : null;

    /// <summary>The SHA-256 of the archive the current release came from, when it is known.</summary>
    public string? CurrentSha256 =>
        CurrentRelease is { } release && File.Exists(Path.Combine(release, ShaFile)) ? File.ReadAllText(Path.Combine(release, ShaFile)).Trim() : null;

    /// <summary>A new folder's path for the archive with <paramref name="sha256"/>, named by time and hash.</summary>
    public string NewRelease(string sha256, DateTimeOffset now) =>
        Path.Combine(Releases, now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + sha256[..12]);

    public static void Mark(string release, string sha256)
    {
        var file = Path.Combine(release, ShaFile);
        File.WriteAllText(file, sha256 + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    /// <summary>Points <c>current</c> at <paramref name="release"/>: a new link renamed over the old one (atomic).</summary>
    public void Switch(string release)
    {
        var next = Current + ".next";
        File.Delete(next);
        File.CreateSymbolicLink(next, Path.GetRelativePath(installDirectory, release));
        Core.Storage.AtomicRename.Replace(next, Current);
    }

    /// <summary>Removes all but the newest <paramref name="keep"/> releases, never the current one.</summary>
    public IReadOnlyList<string> Prune(int keep)
    {
        var current = CurrentRelease;
        var old = Directory.GetDirectories(Releases).OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal).Skip(keep)
            .Where(d => !string.Equals(Path.GetFullPath(d), current, StringComparison.Ordinal)).ToList();
        foreach (var folder in old)
        {
            Directory.Delete(folder, recursive: true);
        }

        return old;
    }
}
