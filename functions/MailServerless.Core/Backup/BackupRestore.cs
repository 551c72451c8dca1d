using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using MailServerless.Core.Storage;

namespace MailServerless.Core.Backup;

/// <summary>
/// Puts an archive <see cref="BackupArchive"/> wrote back where the settings say: the Maildirs under the store base
/// with their file names, times and <c>dovecot-uidlist</c> byte for byte (so UIDVALIDITY and every UID are what they
/// were), the SQLite directory in place of <c>directory.db</c>. Files 0600, folders 0700. It refuses while a server
/// runs on the data directory (<see cref="DataDirectoryLock"/>), and a non-empty store or an existing directory
/// unless forced. Every entry's name is checked before a path is made from it (<see cref="ArchiveEntryPath"/>); an
/// entry that is not a folder, a file, or the active Sieve script's link refuses the whole archive.
/// </summary>
public static class BackupRestore
{
    private const int GzipMagic1 = 0x1f;
    private const int GzipMagic2 = 0x8b;

    /// <exception cref="BackupException">The archive is not one this build restores, the target is not ready, or an entry is refused.</exception>
    public static async Task<RestoreSummary> RestoreAsync(
        string archivePath, BackupLocations locations, bool force, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(archivePath);
        ArgumentNullException.ThrowIfNull(locations);
        var archive = Path.GetFullPath(archivePath);
        if (!File.Exists(archive))
        {
            throw new BackupException($"no archive at {archive}");
        }

        // Held until the end: a server started meanwhile refuses to start (it cannot take its shared lock).
        using var exclusive = DataDirectoryLock.TryTakeExclusive(locations.DataDirectory)
            ?? throw new BackupException(
                $"a server is running on {locations.DataDirectory} (it holds {DataDirectoryLock.FileName}): stop it first (systemctl stop mailserverless)");

        await using var file = new FileStream(
            archive, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        // Gzip'd or not is read from the archive itself, whatever its name.
        await using var compressed = await IsGzipAsync(file, cancellationToken) ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : null;
        await using var reader = new TarReader(compressed ?? (Stream)file, leaveOpen: true);
        var manifest = await ReadManifestAsync(reader, cancellationToken);
        CheckTarget(manifest, locations, force);
        return await RestoreEntriesAsync(reader, manifest, locations, force, archive, cancellationToken);
    }

    private static async Task<RestoreSummary> RestoreEntriesAsync(
        TarReader reader, BackupManifest manifest, BackupLocations locations, bool force, string archive, CancellationToken cancellationToken)
    {
        var store = new PrivateTree(locations.StorePath, force);
        string? database = null;
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (!ArchiveEntryPath.TryParse(entry.Name, out var segments, out var reason))
                {
                    throw new BackupException($"the archive's entry '{Printable(entry.Name)}' is refused: {reason}");
                }

                if (segments[0] == BackupManifest.MaildirsPart && manifest.Holds(BackupManifest.MaildirsPart))
                {
                    await RestoreMaildirEntryAsync(store, entry, segments.Skip(1).ToList(), cancellationToken);
                }
                else if (segments.Count == 1 && segments[0] == BackupManifest.DirectoryPart && entry.EntryType == TarEntryType.Directory &&
                         manifest.Holds(BackupManifest.DirectoryPart))
                {
                    // The folder of the database entry: nothing to make.
                }
                else if (entry.Name == BackupManifest.DirectoryEntry && IsRegularFile(entry) && database is null &&
                         manifest.Holds(BackupManifest.DirectoryPart))
                {
                    database = await ExtractDatabaseAsync(entry, locations.SqliteFile!, cancellationToken);
                }
                else
                {
                    throw new BackupException($"the archive's entry '{Printable(entry.Name)}' ({entry.EntryType}) is not one a backup writes");
                }
            }

            if (manifest.Holds(BackupManifest.DirectoryPart))
            {
                InstallDatabase(database ?? throw new BackupException("the archive lists the directory but holds none (is it cut short?)"), locations.SqliteFile!);
                database = null;
            }

            // One syncfs per file system instead of an fsync per file: nothing is reported restored before it is on disk.
            if (Directory.Exists(store.Root))
            {
                await GroupSync.For(store.Root).SyncAsync();
            }

            if (locations.SqliteFile is { } sqlite && manifest.Holds(BackupManifest.DirectoryPart))
            {
                await GroupSync.For(Path.GetDirectoryName(sqlite)!).SyncAsync();
            }

            return new RestoreSummary(archive, manifest.Created, manifest.HostName, manifest.Holds(BackupManifest.DirectoryPart),
                manifest.DirectoryProvider, store.Folders, store.Files, store.Bytes);
        }
        finally
        {
            if (database is not null)
            {
                File.Delete(database);
            }
        }
    }

    /// <summary>Under <c>maildirs/</c>: folders, files, and the active Sieve script's link; nothing else.</summary>
    private static async Task RestoreMaildirEntryAsync(PrivateTree store, TarEntry entry, List<string> relative, CancellationToken cancellationToken)
    {
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                store.Folder(relative);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile when relative.Count > 0:
                await store.WriteFileAsync(relative, entry.DataStream ?? Stream.Null, entry.ModificationTime, cancellationToken);
                break;
            case TarEntryType.SymbolicLink when relative.Count > 0:
                store.WriteSieveLink(relative, entry.LinkName);
                break;
            default:
                // Hard links, devices, FIFOs, …: a backup never writes them, and a crafted archive must not make them.
                throw new BackupException($"the archive's entry '{Printable(entry.Name)}' ({entry.EntryType}) is not one a backup writes");
        }
    }

    private static async Task<BackupManifest> ReadManifestAsync(TarReader reader, CancellationToken cancellationToken)
    {
        var first = await reader.GetNextEntryAsync(copyData: false, cancellationToken);
        if (first is not { Name: BackupManifest.EntryName, DataStream: { } data } || !IsRegularFile(first) || first.Length > BackupManifest.MaxLength)
        {
            throw new BackupException($"not a MailServerless backup: its first entry is not {BackupManifest.EntryName}");
        }

        using var json = new MemoryStream((int)first.Length);
        await data.CopyToAsync(json, cancellationToken);
        return BackupManifest.Parse(json.ToArray());
    }

    private static void CheckTarget(BackupManifest manifest, BackupLocations locations, bool force)
    {
        if (manifest.Holds(BackupManifest.DirectoryPart))
        {
            if (locations.SqliteFile is not { } database)
            {
                throw new BackupException(
                    $"the archive holds a SQLite directory, but Mail:Directory:Provider is {locations.DirectoryProvider}: " +
                    "restore it with a SQLite setting, or move the data into MySQL yourself");
            }

            if (File.Exists(database) && !force)
            {
                throw new BackupException($"{database} exists already: restore into a new data directory, or add --force to replace it");
            }
        }

        var store = locations.StorePath;
        if (manifest.Holds(BackupManifest.MaildirsPart) && !force && Directory.Exists(store) && Directory.EnumerateFileSystemEntries(store).Any())
        {
            throw new BackupException(
                $"the Maildir base {store} is not empty: restore into an empty one, or add --force " +
                "(the archive's files then replace those of the same name; nothing else is removed)");
        }
    }

    /// <summary>The database is written beside <c>directory.db</c> under a temporary name, and renamed over it only once the whole archive was read.</summary>
    private static async Task<string> ExtractDatabaseAsync(TarEntry entry, string database, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(database)!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var temporary = $"{database}.restore-{Guid.NewGuid():N}";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(temporary, options))
        {
            await (entry.DataStream ?? Stream.Null).CopyToAsync(file, cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return temporary;
    }

    /// <summary>
    /// Renames the restored database over <c>directory.db</c>. A <c>-wal</c> or <c>-shm</c> left by the old database
    /// (a server killed, say) is removed first: SQLite would otherwise replay the old database's log into the new one.
    /// </summary>
    private static void InstallDatabase(string temporary, string database)
    {
        if (!SqliteSnapshot.LooksLikeDatabase(temporary))
        {
            throw new BackupException($"the archive's {BackupManifest.DirectoryEntry} is not a SQLite database");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "-wal", "-shm", "-journal" })
        {
            File.Delete(database + suffix);
        }

        File.Move(temporary, database, overwrite: true);
    }

    private static bool IsRegularFile(TarEntry entry) => entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;

    private static async Task<bool> IsGzipAsync(FileStream file, CancellationToken cancellationToken)
    {
        var magic = new byte[2];
        var read = await file.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken);
        file.Position = 0;
        return read == 2 && magic[0] == GzipMagic1 && magic[1] == GzipMagic2;
    }

    /// <summary>An entry name for an error message: control characters shown as '?', at most 200 characters.</summary>
    private static string Printable(string name)
    {
        var shown = new string(name.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return shown.Length > 200 ? shown[..200] + "…" : shown;
    }
}

/// <summary>What <c>admin restore</c> put back: one line for people (<see cref="ToString"/>), every field with <c>--json</c>.</summary>
public sealed record RestoreSummary(
    string Archive, DateTimeOffset Created, string HostName, bool RestoredDirectory, string DirectoryProvider, int Folders, int Files, long Bytes)
{
    /// <summary>For an archive without the directory (it was in MySQL): what to do about it.</summary>
    public string? Note => RestoredDirectory
        ? null
        : $"the archive holds no directory (it was in {DirectoryProvider}): load its mysqldump (mysql postfix < postfix.sql) before starting the server";

    public override string ToString() =>
        $"restored {Archive} (made {Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z on {HostName})\t" +
        $"{(RestoredDirectory ? "directory, " : string.Empty)}{Files} files in {Folders} new folders, {Bytes} bytes" +
        (Note is { } note ? $"\nnote: {note}" : string.Empty);
}
