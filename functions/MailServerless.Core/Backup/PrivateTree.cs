namespace MailServerless.Core.Backup;

/// <summary>
/// What a restore writes under one root: folders 0700 and files 0600 whatever modes the archive carries (the
/// project's rule, <see cref="Storage.PrivateFiles"/>), each file created anew (O_EXCL) and never through a symbolic
/// link already in the target: with <c>--force</c> the target may hold one, and a link there must not carry a write
/// out of it.
/// </summary>
internal sealed class PrivateTree
{
    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Folders below the root already made or checked to be real folders.</summary>
    private readonly HashSet<string> _checked = new(StringComparer.Ordinal);

    public PrivateTree(string root, bool overwrite)
    {
        Root = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar);
        Overwrite = overwrite;
    }

    public string Root { get; }

    /// <summary>With <c>--force</c>: a file of the same name is replaced (removed first), instead of refused.</summary>
    public bool Overwrite { get; }

    public int Files { get; private set; }

    public int Folders { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Makes the folder <paramref name="segments"/> (every level of it) under the root; returns its full path.</summary>
    public string Folder(IReadOnlyList<string> segments) => EnsureFolders(segments, segments.Count);

    /// <summary>Writes a file at <paramref name="segments"/> from <paramref name="data"/>, with its modification time (IMAP's INTERNALDATE).</summary>
    public async Task WriteFileAsync(IReadOnlyList<string> segments, Stream data, DateTimeOffset modified, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(data);
        EnsureFolders(segments, segments.Count - 1);
        var path = ArchiveEntryPath.Resolve(Root, segments);
        MakeRoom(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        await using (var file = new FileStream(path, options))
        {
            await data.CopyToAsync(file, cancellationToken);
            // Flushed first: a write after the time is set would move it again.
            await file.FlushAsync(cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                // The umask may be laxer than 077 when the command runs from a script: the mode is set, not assumed.
                File.SetUnixFileMode(file.SafeFileHandle, PrivateFile);
            }

            File.SetLastWriteTimeUtc(file.SafeFileHandle, modified.UtcDateTime);
            Bytes += file.Length;
        }

        Files++;
    }

    /// <summary>Makes the active-script link (its target checked by <see cref="SieveLink.IsValidTarget"/>).</summary>
    public void WriteSieveLink(IReadOnlyList<string> segments, string target)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (!SieveLink.IsLinkName(segments[^1]) || !SieveLink.IsValidTarget(target))
        {
            throw new BackupException($"a symbolic link in the archive ({string.Join('/', segments)} -> {target}) is not a Sieve script's");
        }

        EnsureFolders(segments, segments.Count - 1);
        var path = ArchiveEntryPath.Resolve(Root, segments);
        MakeRoom(path);
        File.CreateSymbolicLink(path, target);
        Files++;
    }

    /// <summary>The root itself: made if missing (0700), else left as the operator made it (it may be a mount point or a link).</summary>
    private void EnsureRoot()
    {
        if (_checked.Add(Root) && !Directory.Exists(Root))
        {
            CreateFolder(Root);
        }
    }

    private string EnsureFolders(IReadOnlyList<string> segments, int count)
    {
        EnsureRoot();
        var path = Root;
        for (var i = 0; i < count; i++)
        {
            path = Path.Join(path, segments[i]);
            if (_checked.Contains(path))
            {
                continue;
            }

            var info = new DirectoryInfo(path);
            if (info.LinkTarget is not null)
            {
                throw new BackupException($"{path} is a symbolic link in the target: a restore does not write through it");
            }

            if (info.Exists)
            {
                SetMode(path, PrivateFolder);
            }
            else if (File.Exists(path))
            {
                throw new BackupException($"{path} is a file where the archive has a folder");
            }
            else
            {
                CreateFolder(path);
            }

            _checked.Add(path);
        }

        return path;
    }

    /// <summary>A file or link already at <paramref name="path"/>: refused, or with --force removed (a link itself, never its target).</summary>
    private void MakeRoom(string path)
    {
        var existing = new FileInfo(path);
        if (!existing.Exists && existing.LinkTarget is null)
        {
            return;
        }

        if (!Overwrite)
        {
            throw new BackupException($"{path} exists already (--force restores over it)");
        }

        File.Delete(path);
    }

    private void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, PrivateFolder);
            SetMode(path, PrivateFolder);
        }

        Folders++;
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }
}
