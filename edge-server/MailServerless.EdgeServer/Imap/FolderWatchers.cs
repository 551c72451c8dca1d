namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// Wakes sessions in IDLE when a folder changes on a local store: one pair of inotify watches (on <c>new/</c> and
/// <c>cur/</c>) per folder, shared by every session idling in it. On a shared store (NFS, which is what EFS is) a
/// change made by another host raises no event here, so no watch is made and IDLE polls; when the kernel's inotify
/// limits are reached, likewise. With <paramref name="notices"/> (<c>Mail:Notify:Listen</c>), the processes that
/// deliver say when a folder changed (<see cref="Notify"/>), so a folder is watched on a shared store too.
/// </summary>
/// <param name="shared"><c>Mail:Store:Shared</c>: whether the store is shared; null: told by <c>/proc/mounts</c>.</param>
/// <param name="notices">Whether change notices arrive (<see cref="MailboxChangeListener"/>).</param>
public sealed class FolderWatchers(bool? shared = null, bool notices = false)
{
    private static readonly string[] SharedFileSystems = ["nfs", "nfs4", "efs", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p"];

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private sealed class Entry(FileSystemWatcher[] watchers)
    {
        public FileSystemWatcher[] Watchers { get; } = watchers;

        public List<Action> Listeners { get; } = [];
    }

    /// <summary>Calls <paramref name="changed"/> on every change in the folder until the lease is disposed; null when the folder cannot be watched.</summary>
    public IDisposable? Watch(string folderPath, Action changed)
    {
        ArgumentNullException.ThrowIfNull(folderPath);
        ArgumentNullException.ThrowIfNull(changed);
        folderPath = Normal(folderPath);
        lock (_lock)
        {
            if (!_entries.TryGetValue(folderPath, out var entry))
            {
                var watchers = (shared ?? IsShared(folderPath)) ? null : Create(folderPath);
                if (watchers is null && !notices)
                {
                    return null;
                }

                // Without inotify the notices alone wake the sessions.
                watchers ??= [];
                entry = new Entry(watchers);
                foreach (var watcher in watchers)
                {
                    watcher.Created += (_, _) => Notify(folderPath);
                    watcher.Deleted += (_, _) => Notify(folderPath);
                    watcher.Renamed += (_, _) => Notify(folderPath);
                    watcher.EnableRaisingEvents = true;
                }

                _entries[folderPath] = entry;
            }

            entry.Listeners.Add(changed);
            return new Lease(this, folderPath, changed);
        }
    }

    private static FileSystemWatcher[]? Create(string folderPath)
    {
        var made = new List<FileSystemWatcher>();
        try
        {
            foreach (var sub in new[] { "new", "cur" })
            {
                made.Add(new FileSystemWatcher(Path.Combine(folderPath, sub)) { NotifyFilter = NotifyFilters.FileName, InternalBufferSize = 16 * 1024 });
            }

            return [.. made];
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            made.ForEach(w => w.Dispose());
            return null;
        }
    }

    /// <summary>Wakes the sessions idling in the folder at <paramref name="folderPath"/>, if any.</summary>
    public void Notify(string folderPath)
    {
        ArgumentNullException.ThrowIfNull(folderPath);
        folderPath = Normal(folderPath);
        Action[] listeners;
        lock (_lock)
        {
            listeners = _entries.TryGetValue(folderPath, out var entry) ? [.. entry.Listeners] : [];
        }

        foreach (var listener in listeners)
        {
            listener();
        }
    }

    private static string Normal(string folderPath) => Path.GetFullPath(folderPath).TrimEnd('/');

    private void Release(string folderPath, Action changed)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(folderPath, out var entry) && entry.Listeners.Remove(changed) && entry.Listeners.Count == 0)
            {
                _entries.Remove(folderPath);
                foreach (var watcher in entry.Watchers)
                {
                    watcher.Dispose();
                }
            }
        }
    }

    /// <summary>Whether the path lies on a network file system, by the longest mount point above it in /proc/mounts.</summary>
    private static bool IsShared(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            var best = (Point: string.Empty, Type: string.Empty);
            foreach (var line in File.ReadLines("/proc/mounts"))
            {
                var fields = line.Split(' ');
                if (fields.Length < 3)
                {
                    continue;
                }

                var point = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
                if ((full == point || full.StartsWith(point.TrimEnd('/') + "/", StringComparison.Ordinal)) && point.Length > best.Point.Length)
                {
                    best = (point, fields[2]);
                }
            }

            return SharedFileSystems.Contains(best.Type, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // unknown: poll, which is right everywhere
        }
    }

    private sealed class Lease(FolderWatchers owner, string folderPath, Action changed) : IDisposable
    {
        public void Dispose() => owner.Release(folderPath, changed);
    }
}
