using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Storage;

/// <summary>
/// Writes a queued message into a mailbox the Maildir way — <c>tmp/</c>, fsync, rename into
/// <c>new/</c>, fsync the directory — and at most once per (queued message id, mailbox), also
/// across processes and hosts sharing the store and after a crash at any point.
/// </summary>
/// <remarks>
/// Idempotency: before the rename, a marker <c>msl-delivered/&lt;queued day&gt;/&lt;id&gt;</c> is created
/// atomically (O_EXCL) holding the temporary and final names. A second delivery that finds the
/// marker finishes the first one's rename if it was cut short, else reports AlreadyDelivered.
/// The marker folder has no leading dot, so Dovecot never takes it for a Maildir++ folder;
/// day folders older than the queue's maximum lifetime are removed.
/// </remarks>
public sealed partial class MaildirDelivery(
    string storeBase, string hostName, TimeProvider clock, ILogger<MaildirDelivery> logger, MailboxChanges? changes = null)
{
    private readonly GroupSync _sync = GroupSync.For(storeBase);

    /// <summary>Folders whose tmp/new/cur are known to exist: no directory checks per delivery.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _knownFolders = new(StringComparer.Ordinal);

    public const string MarkerFolder = "msl-delivered";

    /// <summary>Markers are kept longer than a queued message can live (Postfix: 5 days).</summary>
    public static TimeSpan MarkerRetention { get; set; } = TimeSpan.FromDays(8);

    /// <summary>Temporary files older than this are debris of a crash (the Maildir specification's 36 hours).</summary>
    private static readonly TimeSpan TmpDebrisAge = TimeSpan.FromHours(36);

    /// <summary>
    /// Delivers into <paramref name="folder"/>. With <paramref name="flags"/> (IMAP flag names and keywords, as Sieve's
    /// imap4flags sets them), the message goes to <c>cur/</c> with its <c>:2,</c> letters, keywords through the folder's
    /// <c>dovecot-keywords</c>, as Dovecot's LDA saves a flagged message; without, to <c>new/</c>.
    /// </summary>
    public async Task<DeliveryResult> DeliverAsync(
        string maildir, QuotaLimit limit, string deliveryId, DateTimeOffset queuedAt, Stream message,
        string folder = MaildirLayout.Inbox, IReadOnlyCollection<string>? flags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var root = MaildirLayout.MailboxRoot(storeBase, maildir);
        var marker = MarkerPath(root, deliveryId, queuedAt);
        string? tmpPath = null;
        try
        {
            var folderPath = MaildirLayout.FolderPath(root, folder);
            if (!_knownFolders.ContainsKey(folderPath))
            {
                MaildirLayout.EnsureFolder(root, MaildirLayout.Inbox);
                MaildirLayout.EnsureFolder(root, folder);
                _knownFolders.TryAdd(folderPath, 0);
            }

            if (File.Exists(marker))
            {
                return await CompleteEarlierAsync(root, folderPath, marker, limit, cancellationToken);
            }

            var unique = MaildirFileName.NewUniqueBase(hostName, clock.GetUtcNow());
            tmpPath = Path.Combine(folderPath, "tmp", unique);
            long size, virtualSize;
            await using (var file = new FileStream(tmpPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true))
            {
                (size, virtualSize) = await LineEndingWriter.CopyAsync(message, file, cancellationToken);
            }

            var quota = new MaildirQuota(root, clock);
            // Without a limit there is nothing to check (Dovecot keeps no maildirsize then either).
            var usage = limit.IsUnlimited ? default : await quota.GetUsageAsync(limit, cancellationToken);
            if (!limit.IsUnlimited && usage.WouldExceed(size))
            {
                File.Delete(tmpPath);
                return new DeliveryResult(DeliveryStatus.OverQuota,
                    Detail: string.Create(CultureInfo.InvariantCulture,
                        $"{size} bytes would exceed the quota: {usage.Bytes} of {limit.Bytes} bytes, {usage.Messages} of {limit.Messages} messages used"));
            }

            var finalName = await FinalNameAsync(folderPath, MaildirFileName.WithSizes(unique, size, virtualSize), flags, cancellationToken);
            if (!await TryCreateMarkerAsync(marker, unique, finalName, cancellationToken))
            {
                // Another process is delivering the same queued message: let it, or finish for it.
                File.Delete(tmpPath);
                return await CompleteEarlierAsync(root, folderPath, marker, limit, cancellationToken);
            }

            // From here the marker names the tmp file: it must survive a failure, for the retry to finish.
            tmpPath = null;

            // The message in tmp/ and its marker are durable before the rename makes it visible:
            // after a crash, a visible message always has its marker (no second copy on redelivery).
            await _sync.SyncAsync();

            var moved = await MoveIntoNewAsync(root, folderPath, unique, finalName, limit, size, cancellationToken);
            return moved is null ? new DeliveryResult(DeliveryStatus.AlreadyDelivered, finalName)
                : moved.Status == DeliveryStatus.Delivered && !limit.IsUnlimited ? moved with { QuotaBefore = usage, Size = size }
                : moved;
        }
        catch (IOException e)
        {
            // Disk full, I/O error: nothing partial may stay behind, the sender's queue retries.
            // The folder may have been removed meanwhile: check its layout again next time.
            _knownFolders.Clear();
            TryDelete(tmpPath);
            LogTemporaryFailure(root, e.Message);
            return new DeliveryResult(DeliveryStatus.TemporaryFailure, Detail: e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            TryDelete(tmpPath);
            LogTemporaryFailure(root, e.Message);
            return new DeliveryResult(DeliveryStatus.TemporaryFailure, Detail: e.Message);
        }
    }

    /// <summary>
    /// The name the file gets: the base alone for <c>new/</c>, or with <c>:2,</c> and the letters of the flags.
    /// Keywords past Dovecot's 26 letters, invalid names and <c>\Recent</c> are left out, as Pigeonhole does.
    /// </summary>
    private static async Task<string> FinalNameAsync(
        string folderPath, string baseName, IReadOnlyCollection<string>? flagNames, CancellationToken cancellationToken)
    {
        if (flagNames is not { Count: > 0 })
        {
            return baseName;
        }

        var (flags, keywords) = MessageFlagNames.Parse(flagNames);
        var letters = string.Empty;
        if (keywords.Count > 0)
        {
            await using (await DotLock.AcquireAsync(Path.Combine(folderPath, UidList.FileName), KeywordLockTimeout, cancellationToken))
            {
                var list = KeywordList.Load(folderPath);
                foreach (var keyword in keywords)
                {
                    try
                    {
                        letters += list.LettersFor([keyword], folderPath);
                    }
                    catch (KeywordLimitException)
                    {
                        break;
                    }
                }
            }
        }

        return flags == MessageFlags.None && letters.Length == 0
            ? baseName
            : new MaildirFileName(baseName, MessageFlags.None, string.Empty).WithFlags(flags, letters).CurName;
    }

    private static readonly TimeSpan KeywordLockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A name with <c>:2,</c> info lives in <c>cur/</c>; a bare one in <c>new/</c> (Maildir specification).</summary>
    private static string TargetDirectory(string finalName) => finalName.Contains(":2,", StringComparison.Ordinal) ? "cur" : "new";

    /// <summary>Renames tmp → new (or cur, when flagged); null when someone else already did.</summary>
    private async Task<DeliveryResult?> MoveIntoNewAsync(
        string root, string folderPath, string unique, string finalName, QuotaLimit limit, long size, CancellationToken cancellationToken)
    {
        var from = Path.Combine(folderPath, "tmp", unique);
        var to = Path.Combine(folderPath, TargetDirectory(finalName), finalName);
        try
        {
            File.Move(from, to, overwrite: false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        await _sync.SyncAsync();
        if (!limit.IsUnlimited)
        {
            await new MaildirQuota(root, clock).AddAsync(limit, size, 1, cancellationToken);
        }

        if (changes is not null)
        {
            // Durable now: sessions idling in the folder (here or on other edges) may look.
            await changes.NotifyAsync(folderPath, cancellationToken);
        }

        return new DeliveryResult(DeliveryStatus.Delivered, finalName);
    }

    private async Task<DeliveryResult> CompleteEarlierAsync(
        string root, string folderPath, string marker, QuotaLimit limit, CancellationToken cancellationToken)
    {
        var lines = await ReadMarkerAsync(marker, cancellationToken);
        if (lines is not [var unique, var finalName, ..])
        {
            return new DeliveryResult(DeliveryStatus.AlreadyDelivered);
        }

        if (File.Exists(Path.Combine(folderPath, "tmp", unique)))
        {
            var size = MaildirFileName.Parse(finalName).Size ?? 0;
            var moved = await MoveIntoNewAsync(root, folderPath, unique, finalName, limit, size, cancellationToken);
            if (moved is not null)
            {
                LogCompleted(root, finalName);
                return moved;
            }
        }

        return new DeliveryResult(DeliveryStatus.AlreadyDelivered, finalName);
    }

    private static async Task<string[]?> ReadMarkerAsync(string marker, CancellationToken cancellationToken)
    {
        // The marker is created complete (written then linked into place), so it is never half-written.
        try
        {
            return (await File.ReadAllTextAsync(marker, cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Creates the marker with its content in one atomic step; false if it exists.</summary>
    private async Task<bool> TryCreateMarkerAsync(string marker, string unique, string finalName, CancellationToken cancellationToken)
    {
        var dayFolder = Path.GetDirectoryName(marker)!;
        if (!Directory.Exists(dayFolder))
        {
            Directory.CreateDirectory(dayFolder);
            RemoveDebris(Path.GetDirectoryName(dayFolder)!, Path.GetDirectoryName(Path.GetDirectoryName(dayFolder)!)!);
        }

        var temp = marker + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes($"{unique}\n{finalName}\n"), cancellationToken);
        }

        try
        {
            // link(2) fails with EEXIST when the marker exists, atomically, also on NFS
            // (a rename would silently replace another process's marker).
            PosixFileSystem.Link(temp, marker);
        }
        catch (IOException) when (File.Exists(marker))
        {
            return false;
        }
        finally
        {
            TryDelete(temp);
        }

        return true;
    }

    /// <summary>Once a day per mailbox: old marker days and crash debris in tmp/ go.</summary>
    private void RemoveDebris(string markerRoot, string mailboxRoot)
    {
        var now = clock.GetUtcNow();
        foreach (var day in Directory.EnumerateDirectories(markerRoot))
        {
            if (DateTime.TryParseExact(Path.GetFileName(day), "yyyyMMdd", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date) &&
                now - date > MarkerRetention)
            {
                try
                {
                    Directory.Delete(day, recursive: true);
                }
                catch (IOException)
                {
                    // Another process is removing it too.
                }
            }
        }

        HashSet<string>? promised = null;
        foreach (var folder in MaildirLayout.FolderDirectories(mailboxRoot))
        {
            var tmp = Path.Combine(folder, "tmp");
            if (!Directory.Exists(tmp))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(tmp))
            {
                if (now.UtcDateTime - File.GetLastWriteTimeUtc(file) <= TmpDebrisAge)
                {
                    continue;
                }

                // A tmp file a marker names is a delivery a retry will still finish: never debris.
                promised ??= PromisedTmpFiles(markerRoot);
                if (!promised.Contains(Path.GetFileName(file)))
                {
                    TryDelete(file);
                }
            }
        }
    }

    private static HashSet<string> PromisedTmpFiles(string markerRoot)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var marker in Directory.EnumerateFiles(markerRoot, "*", SearchOption.AllDirectories))
        {
            try
            {
                var first = File.ReadLines(marker).FirstOrDefault();
                if (first is not null)
                {
                    names.Add(first);
                }
            }
            catch (IOException)
            {
                // Removed meanwhile.
            }
        }

        return names;
    }

    private static string MarkerPath(string root, string deliveryId, DateTimeOffset queuedAt)
    {
        if (string.IsNullOrEmpty(deliveryId))
        {
            throw new ArgumentException("A delivery needs the queued message's id.", nameof(deliveryId));
        }

        // A readable id stays as it is; anything else is hashed so no path is built from it.
        var name = SafeId().IsMatch(deliveryId)
            ? deliveryId
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(deliveryId)));
        var day = queuedAt.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return Path.Combine(root, MarkerFolder, day, name);
    }

    private static void TryDelete(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: debris is removed later.
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}\z")]
    private static partial Regex SafeId();

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Delivery into {Mailbox} failed temporarily: {Reason}")]
    private partial void LogTemporaryFailure(string mailbox, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Finished an interrupted delivery into {Mailbox}: {File}")]
    private partial void LogCompleted(string mailbox, string file);
}
