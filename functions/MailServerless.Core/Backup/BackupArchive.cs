using System.Formats.Tar;
using System.IO.Compression;
using System.Reflection;

namespace MailServerless.Core.Backup;

/// <summary>
/// Writes a backup while the server runs: one tar (gzip'd when the name ends in <c>.gz</c>) holding
/// <c>manifest.json</c> first, then the SQLite directory as SQLite's online backup copied it (with PostfixAdmin's tables
/// and ours: <c>msl_dkim</c>'s DKIM keys, API keys, settings), then the Maildir store by <see cref="MaildirBackup"/>'s
/// rules. A MySQL directory is not in it (<c>mysqldump --single-transaction</c> is the tool for that). The archive is
/// written beside its final name and renamed into place once complete, mode 0600: it holds password hashes and keys.
/// </summary>
public static class BackupArchive
{
    /// <summary>How long a folder's lock may stay held by another writer before the backup gives up (the store's own wait).</summary>
    public static TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <exception cref="BackupException">
    /// The archive exists already (without <paramref name="overwrite"/>), would be inside the store, or there is no directory.
    /// </exception>
    public static async Task<BackupSummary> CreateAsync(
        string archivePath, BackupLocations locations, string hostName, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(archivePath);
        ArgumentNullException.ThrowIfNull(locations);
        ArgumentNullException.ThrowIfNull(hostName);
        var archive = Path.GetFullPath(archivePath);
        Check(archive, locations, overwrite);

        var parts = locations.HasSqliteDirectory
            ? new[] { BackupManifest.DirectoryPart, BackupManifest.MaildirsPart }
            : new[] { BackupManifest.MaildirsPart };
        var manifest = new BackupManifest(
            BackupManifest.FormatName, BackupManifest.CurrentVersion, DateTimeOffset.UtcNow, hostName, Environment.MachineName,
            ServerVersion(), parts, locations.DirectoryProvider);

        // Beside the final name, so the rename is atomic; a failed or cancelled backup leaves no file that looks whole.
        var partial = $"{archive}.partial-{Guid.NewGuid():N}";
        try
        {
            var store = await WriteAsync(partial, archive.EndsWith(".gz", StringComparison.OrdinalIgnoreCase), manifest, locations, cancellationToken);
            File.Move(partial, archive, overwrite);
            return new BackupSummary(archive, manifest.Holds(BackupManifest.DirectoryPart), locations.DirectoryProvider,
                store.Folders, store.Messages, store.Files, store.Bytes, store.Skipped, new FileInfo(archive).Length);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static void Check(string archive, BackupLocations locations, bool overwrite)
    {
        if (File.Exists(archive) && !overwrite)
        {
            throw new BackupException($"{archive} exists already (--force replaces it)");
        }

        var store = Path.GetFullPath(locations.StorePath).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (archive.StartsWith(store, StringComparison.Ordinal))
        {
            throw new BackupException($"{archive} is inside the Maildir store ({store}): write the archive somewhere else");
        }

        if (locations.SqliteFile is { } database && !File.Exists(database))
        {
            throw new BackupException(
                $"no directory at {database} (Mail:DataDirectory is {locations.DataDirectory}): run the command where the server runs, or set Mail:DataDirectory");
        }
    }

    private static async Task<MaildirBackup> WriteAsync(
        string path, bool gzip, BackupManifest manifest, BackupLocations locations, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var file = new FileStream(path, options);
        MaildirBackup store;
        await using (var compressed = gzip ? new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true) : null)
        await using (var writer = new TarWriter(compressed ?? (Stream)file, TarEntryFormat.Pax, leaveOpen: true))
        {
            await WriteBytesAsync(writer, BackupManifest.EntryName, manifest.ToJson(), cancellationToken);
            if (locations.SqliteConnectionString is { } connectionString)
            {
                await WriteDirectoryAsync(writer, connectionString, cancellationToken);
            }

            store = new MaildirBackup(writer, locations.StorePath, LockTimeout);
            await store.WriteAsync(cancellationToken);
        }

        // The tar's end and the gzip trailer are written (the writers are closed); now make it all durable.
        await file.FlushAsync(cancellationToken);
        file.Flush(flushToDisk: true);
        return store;
    }

    /// <summary>The online backup goes to a private temporary folder (0700, mkdtemp), then into the archive.</summary>
    private static async Task WriteDirectoryAsync(TarWriter writer, string connectionString, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("msl-backup-");
        try
        {
            var copy = Path.Combine(folder.FullName, "directory.db");
            await SqliteSnapshot.CopyAsync(connectionString, copy, cancellationToken);
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, BackupManifest.DirectoryPart + "/")
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                ModificationTime = DateTimeOffset.UtcNow,
            }, cancellationToken);
            await using var data = File.OpenRead(copy);
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, BackupManifest.DirectoryEntry)
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                ModificationTime = DateTimeOffset.UtcNow,
                DataStream = data,
            }, cancellationToken);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static async Task WriteBytesAsync(TarWriter writer, string name, byte[] content, CancellationToken cancellationToken)
    {
        using var data = new MemoryStream(content, writable: false);
        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            ModificationTime = DateTimeOffset.UtcNow,
            DataStream = data,
        }, cancellationToken);
    }

    private static string ServerVersion() =>
        (Assembly.GetEntryAssembly() ?? typeof(BackupArchive).Assembly)
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}

/// <summary>What <c>admin backup</c> wrote: one line for people (<see cref="ToString"/>), every field with <c>--json</c>.</summary>
public sealed record BackupSummary(
    string Archive, bool HoldsDirectory, string DirectoryProvider, int Folders, int Messages, int Files, long Bytes, int Skipped, long ArchiveBytes)
{
    /// <summary>For a directory outside the archive (MySQL): what to do about it.</summary>
    public string? Note => HoldsDirectory
        ? null
        : $"the directory ({DirectoryProvider}) is not in the archive: back it up with mysqldump --single-transaction (docs/operations.md)";

    public override string ToString() =>
        $"{Archive}\t{(HoldsDirectory ? "directory, " : string.Empty)}{Folders} Maildir folders, {Messages} messages, {Files} files, " +
        $"{Bytes} bytes ({ArchiveBytes} in the archive)" +
        (Skipped > 0 ? $"\t{Skipped} left out (links, locks, Dovecot's indexes)" : string.Empty) +
        (Note is { } note ? $"\nnote: {note}" : string.Empty);
}
