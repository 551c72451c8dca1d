using System.Formats.Tar;
using System.Text;
using MailServerless.Core.Storage;

namespace MailServerless.Core.Backup;

/// <summary>
/// Copies a Maildir store into an archive while mail keeps arriving and clients keep changing flags, by the rules its
/// writers (Maildir's, Dovecot's and this store's) follow:
/// <list type="bullet">
/// <item>A message file never changes once in <c>new/</c> or <c>cur/</c>; only its name does (a flag change renames
/// it within <c>cur/</c>, reading it moves it from <c>new/</c> to <c>cur/</c>). A folder's <c>tmp/</c>, <c>new/</c> and
/// <c>cur/</c> are listed in that order, the order files move in, so a file that moves during the copy is met in the
/// next listing; one renamed in <c>cur/</c> between the listing and its opening is found again by its base name, and
/// a base name is copied once. An opened file stays readable whatever happens to its name.</item>
/// <item><c>dovecot-uidlist</c> is read after the folder's files, whole and byte for byte, under the dotlock that
/// Dovecot and this store take to write it (<c>dovecot-uidlist.lock</c>, <see cref="DotLock"/>): the copy is never
/// torn mid-append, and UIDVALIDITY and every UID come back unchanged. Read last, it names every copied file that
/// had a UID by then. A file it names that was delivered after its folder was copied is simply not in this archive
/// (after a restore that UID reads as expunged, and it is never handed out again; the next backup has the message);
/// a file copied before it had a UID gets the next UID after a restore. <c>dovecot-keywords</c> (whose letters are only
/// ever added) and <c>msl-recent</c> are read under the same lock, <c>msl-index</c> under its own.</item>
/// <item><c>tmp/</c> holds deliveries at work and is left out, but for files a delivery marker
/// (<c>msl-delivered/</c>) names: a retry finishes those deliveries. The markers are copied before the folders, so a
/// copied marker's message is still in <c>tmp/</c>, or already in <c>new/</c>, when they are listed.</item>
/// <item>Left out: lock files, <c>msl-expunged/</c> (expunged files held a few minutes for open sessions), Dovecot's
/// index, cache and log files (rebuilt from the Maildir), temporary files, and every symbolic link but the active
/// Sieve script's (<see cref="SieveLink"/>).</item>
/// </list>
/// </summary>
internal sealed class MaildirBackup(TarWriter writer, string storeBase, TimeSpan lockTimeout)
{
    public const string Prefix = BackupManifest.MaildirsPart;

    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Other files up to this size are read whole first, so an append during the copy cannot change one mid-entry.</summary>
    private const long BufferedLimit = 16 * 1024 * 1024;

    /// <summary>Every entry, dot-files and dot-folders (Maildir++ folders) included.</summary>
    private static readonly EnumerationOptions Everything = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

    /// <summary>The files read under the folder's <c>dovecot-uidlist.lock</c>.</summary>
    private static readonly string[] UidListLocked = [UidList.FileName, KeywordList.FileName, MaildirFolder.RecentFileName];

    public int Folders { get; private set; }

    public int Messages { get; private set; }

    public int Files { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Links and index files that could not be copied as they are (left out, as the class comment says).</summary>
    public int Skipped { get; private set; }

    public async Task WriteAsync(CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(storeBase);
        await WriteFolderEntryAsync(Prefix, cancellationToken);
        if (Directory.Exists(root))
        {
            await WalkAsync(root, Prefix, new HashSet<string>(StringComparer.Ordinal), cancellationToken);
        }
    }

    /// <summary>A folder of the store: a Maildir folder is copied by its rules, anything else (a domain's folder) entry by entry.</summary>
    private async Task WalkAsync(string path, string name, IReadOnlySet<string> promised, CancellationToken cancellationToken)
    {
        if (Directory.Exists(Path.Combine(path, "cur")))
        {
            await MaildirFolderAsync(path, name, promised, cancellationToken);
            return;
        }

        foreach (var entry in Children(path))
        {
            await OtherEntryAsync(entry, $"{name}/{entry.Name}", promised, cancellationToken);
        }
    }

    private async Task MaildirFolderAsync(string path, string name, IReadOnlySet<string> promised, CancellationToken cancellationToken)
    {
        Folders++;
        // A mailbox root (INBOX) has no maildirfolder marker; its delivery markers cover all of its folders.
        var isMailboxRoot = !File.Exists(Path.Combine(path, MaildirLayout.FolderMarker));
        if (isMailboxRoot)
        {
            promised = await MarkersAsync(path, name, promised, cancellationToken);
        }

        await TmpAsync(path, name, promised, cancellationToken);
        var copied = new HashSet<string>(StringComparer.Ordinal);
        await MessagesAsync(path, name, "new", copied, cancellationToken);
        await MessagesAsync(path, name, "cur", copied, cancellationToken);

        foreach (var entry in Children(path))
        {
            if (entry.Name is "tmp" or "new" or "cur" or MaildirFolder.HeldDirectory or FolderIndex.FileName ||
                UidListLocked.Contains(entry.Name, StringComparer.Ordinal) ||
                (isMailboxRoot && entry.Name == MaildirDelivery.MarkerFolder))
            {
                continue;
            }

            var entryName = $"{name}/{entry.Name}";
            if (IsLink(entry) && isMailboxRoot && SieveLink.IsLinkName(entry.Name) && SieveLink.IsValidTarget(entry.LinkTarget))
            {
                await WriteEntryAsync(TarEntryType.SymbolicLink, entryName, null, DateTimeOffset.UtcNow, entry.LinkTarget, cancellationToken);
                continue;
            }

            // Sub-folders (.Sent, .Foo.Bar), sieve/, maildirsize, subscriptions, dovecot-uidvalidity, maildirfolder, …
            await OtherEntryAsync(entry, entryName, promised, cancellationToken);
        }

        await LockedFilesAsync(path, name, cancellationToken);
    }

    private async Task OtherEntryAsync(FileSystemInfo entry, string name, IReadOnlySet<string> promised, CancellationToken cancellationToken)
    {
        if (IsLink(entry))
        {
            Skipped++;
        }
        else if (entry is DirectoryInfo)
        {
            await WriteFolderEntryAsync(name, cancellationToken);
            await WalkAsync(entry.FullName, name, promised, cancellationToken);
        }
        else if (IsLeftOut(entry.Name))
        {
            Skipped++;
        }
        else
        {
            await TryCopyFileAsync(entry.FullName, name, message: false, cancellationToken);
        }
    }

    /// <summary>
    /// <c>msl-delivered/DAY/ID</c>, each naming (first line) the <c>tmp/</c> file of its delivery: copied first, and
    /// the names they promise returned with <paramref name="inherited"/>.
    /// </summary>
    private async Task<IReadOnlySet<string>> MarkersAsync(
        string root, string name, IReadOnlySet<string> inherited, CancellationToken cancellationToken)
    {
        var promised = new HashSet<string>(inherited, StringComparer.Ordinal);
        var markers = Path.Combine(root, MaildirDelivery.MarkerFolder);
        if (!Directory.Exists(markers))
        {
            return promised;
        }

        var markersName = $"{name}/{MaildirDelivery.MarkerFolder}";
        await WriteFolderEntryAsync(markersName, cancellationToken);
        foreach (var day in Children(markers))
        {
            if (IsLink(day) || day is not DirectoryInfo)
            {
                Skipped++;
                continue;
            }

            var dayName = $"{markersName}/{day.Name}";
            await WriteFolderEntryAsync(dayName, cancellationToken);
            foreach (var marker in Children(day.FullName))
            {
                // A marker being made is "<id>.<guid>.tmp" until it is linked into place.
                if (IsLink(marker) || marker is DirectoryInfo || marker.Name.EndsWith(".tmp", StringComparison.Ordinal))
                {
                    continue;
                }

                byte[] content;
                try
                {
                    content = await File.ReadAllBytesAsync(marker.FullName, cancellationToken);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    continue; // old days are removed while we copy
                }

                await WriteBytesAsync($"{dayName}/{marker.Name}", content, marker.LastWriteTimeUtc, cancellationToken);
                var tmpName = Encoding.UTF8.GetString(content).Split('\n', 2)[0];
                if (tmpName.Length > 0)
                {
                    promised.Add(tmpName);
                }
            }
        }

        return promised;
    }

    /// <summary><c>tmp/</c> itself (a restored folder needs it), and only the files a delivery marker promises.</summary>
    private async Task TmpAsync(string path, string name, IReadOnlySet<string> promised, CancellationToken cancellationToken)
    {
        await WriteFolderEntryAsync($"{name}/tmp", cancellationToken);
        var tmp = Path.Combine(path, "tmp");
        if (promised.Count == 0 || !Directory.Exists(tmp))
        {
            return;
        }

        foreach (var file in Children(tmp))
        {
            if (file is FileInfo && !IsLink(file) && promised.Contains(file.Name))
            {
                // Gone: its delivery renamed it into new/ meanwhile, where the next listing meets it.
                await TryCopyFileAsync(file.FullName, $"{name}/tmp/{file.Name}", message: false, cancellationToken);
            }
        }
    }

    private async Task MessagesAsync(string path, string name, string sub, HashSet<string> copied, CancellationToken cancellationToken)
    {
        var folderName = $"{name}/{sub}";
        await WriteFolderEntryAsync(folderName, cancellationToken);
        var folder = Path.Combine(path, sub);
        foreach (var file in Children(folder))
        {
            if (IsLink(file) || file is DirectoryInfo)
            {
                Skipped++;
                continue;
            }

            var baseName = MaildirFileName.Parse(file.Name).BaseName;
            // Already copied from new/ (it moved to cur/ since): a second copy would be a duplicate after a restore.
            if (copied.Contains(baseName))
            {
                continue;
            }

            if (await TryCopyFileAsync(file.FullName, $"{folderName}/{file.Name}", message: true, cancellationToken))
            {
                copied.Add(baseName);
            }
            else if (sub == "cur" && Renamed(folder, baseName) is { } renamed &&
                     await TryCopyFileAsync(Path.Combine(folder, renamed), $"{folderName}/{renamed}", message: true, cancellationToken))
            {
                // Its flags changed between the listing and the copy.
                copied.Add(baseName);
            }

            // Otherwise it was expunged, or it left new/ for cur/, which is listed next.
        }
    }

    /// <summary>The folder's files written under its locks, after its messages (the class comment says why).</summary>
    private async Task LockedFilesAsync(string path, string name, CancellationToken cancellationToken)
    {
        if (UidListLocked.Any(f => File.Exists(Path.Combine(path, f))))
        {
            var uidList = Path.Combine(path, UidList.FileName);
            List<(string Name, byte[] Content, DateTime Modified)> read;
            try
            {
                await using (await DotLock.AcquireAsync(uidList, lockTimeout, cancellationToken))
                {
                    read = ReadWhole(path, UidListLocked);
                }
            }
            catch (DirectoryNotFoundException)
            {
                return; // the folder was deleted during the backup
            }
            catch (TimeoutException e)
            {
                throw new BackupException(
                    $"{uidList}.lock stayed held for {lockTimeout.TotalSeconds:0} s: a process is stuck writing the UID list; try again, or stop the server", e);
            }

            foreach (var (file, content, modified) in read)
            {
                await WriteBytesAsync($"{name}/{file}", content, modified, cancellationToken);
            }
        }

        if (File.Exists(Path.Combine(path, FolderIndex.FileName)))
        {
            try
            {
                await using (await DotLock.AcquireAsync(Path.Combine(path, FolderIndex.FileName), lockTimeout, cancellationToken))
                {
                    foreach (var (file, content, modified) in ReadWhole(path, [FolderIndex.FileName]))
                    {
                        await WriteBytesAsync($"{name}/{file}", content, modified, cancellationToken);
                    }
                }
            }
            catch (Exception e) when (e is TimeoutException or DirectoryNotFoundException)
            {
                // Never needed for correctness: missing, the index is rebuilt from the Maildir with the same UIDs.
                Skipped++;
            }
        }
    }

    private static List<(string Name, byte[] Content, DateTime Modified)> ReadWhole(string path, IEnumerable<string> names)
    {
        var read = new List<(string, byte[], DateTime)>();
        foreach (var name in names)
        {
            var file = Path.Combine(path, name);
            try
            {
                read.Add((name, File.ReadAllBytes(file), File.GetLastWriteTimeUtc(file)));
            }
            catch (FileNotFoundException)
            {
                // Not every folder has all of them.
            }
        }

        return read;
    }

    /// <summary>
    /// Copies one file from an open handle (which a rename or an expunge does not take away); false when it was gone
    /// before it could be opened. A message is streamed as it is; anything else small is read whole first.
    /// </summary>
    private async Task<bool> TryCopyFileAsync(string path, string name, bool message, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        await using (stream)
        {
            var modified = File.GetLastWriteTimeUtc(stream.SafeFileHandle);
            if (message || stream.Length > BufferedLimit)
            {
                await WriteEntryAsync(TarEntryType.RegularFile, name, stream, modified, null, cancellationToken);
            }
            else
            {
                using var buffer = new MemoryStream((int)stream.Length);
                await stream.CopyToAsync(buffer, cancellationToken);
                buffer.Position = 0;
                await WriteEntryAsync(TarEntryType.RegularFile, name, buffer, modified, null, cancellationToken);
            }
        }

        if (message)
        {
            Messages++;
        }

        return true;
    }

    private async Task WriteBytesAsync(string name, byte[] content, DateTime modified, CancellationToken cancellationToken)
    {
        using var data = new MemoryStream(content, writable: false);
        await WriteEntryAsync(TarEntryType.RegularFile, name, data, modified, null, cancellationToken);
    }

    private Task WriteFolderEntryAsync(string name, CancellationToken cancellationToken) =>
        WriteEntryAsync(TarEntryType.Directory, name + "/", null, DateTimeOffset.UtcNow, null, cancellationToken);

    /// <summary>Modes are written private (0600, 0700) whatever they are on disk: a restore sets them so anyway.</summary>
    private async Task WriteEntryAsync(
        TarEntryType type, string name, Stream? data, DateTimeOffset modified, string? linkTarget, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(type, name)
        {
            Mode = type == TarEntryType.Directory ? PrivateFolder : PrivateFile,
            // A tar time cannot be before 1970; a message file dated so (a careless migration) keeps the epoch.
            ModificationTime = modified < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : modified,
        };
        if (linkTarget is not null)
        {
            entry.LinkName = linkTarget;
        }

        if (data is not null)
        {
            entry.DataStream = data;
            Bytes += data.Length - data.Position;
            Files++;
        }

        await writer.WriteEntryAsync(entry, cancellationToken);
    }

    /// <summary>The entries of a folder, in name order; none when it went away (a folder deleted during the backup).</summary>
    private static List<FileSystemInfo> Children(string path)
    {
        try
        {
            return new DirectoryInfo(path).EnumerateFileSystemInfos("*", Everything).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <summary>The name a message now has in <paramref name="folder"/> (its flags changed), found by its base name.</summary>
    private static string? Renamed(string folder, string baseName)
    {
        try
        {
            return Directory.EnumerateFiles(folder, baseName + "*", new EnumerationOptions { MatchType = MatchType.Simple, AttributesToSkip = 0 })
                .Select(Path.GetFileName)
                .FirstOrDefault(n => n is not null && MaildirFileName.Parse(n).BaseName == baseName);
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static bool IsLink(FileSystemInfo entry) => (entry.Attributes & FileAttributes.ReparsePoint) != 0;

    /// <summary>Locks, stale locks set aside, temporary files, and Dovecot's own indexes, caches and logs.</summary>
    private static bool IsLeftOut(string fileName) =>
        fileName.EndsWith(".lock", StringComparison.Ordinal) || fileName.EndsWith(".stale", StringComparison.Ordinal) ||
        fileName.StartsWith("dovecot.index", StringComparison.Ordinal) || fileName.StartsWith("dovecot.list.index", StringComparison.Ordinal) ||
        fileName.StartsWith("dovecot.mailbox.log", StringComparison.Ordinal) || fileName.StartsWith(".tmp-", StringComparison.Ordinal) ||
        fileName.StartsWith(".dovecot.sieve.tmp-", StringComparison.Ordinal) || fileName.StartsWith(".write-test-", StringComparison.Ordinal);
}
