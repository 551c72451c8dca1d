namespace MailServerless.Core.Storage;

/// <summary>Changes to a folder: flags, new → cur, expunge, append, copy and move.</summary>
public sealed partial class MaildirFolder
{
    /// <summary>
    /// Moves every message still in <c>new/</c> to <c>cur/</c> (adding <c>:2,</c>), as Dovecot does when
    /// a client opens the folder read-write; returns the UIDs that were there (IMAP's \Recent).
    /// </summary>
    public async Task<IReadOnlyList<uint>> TakeNewAsync(CancellationToken cancellationToken = default)
    {
        var recent = new List<uint>();
        foreach (var message in _messages.Where(m => m.InNew).ToList())
        {
            var curName = message.Name.CurName;
            // False: another session took it first (or it was expunged); the sync below sees what happened.
            if (PosixFileSystem.TryRename(FilePath(message), System.IO.Path.Combine(Path, "cur", curName)))
            {
                NoteRenamed(message, curName, sameFlags: true);
                recent.Add(message.Uid);
            }
        }

        await SyncAsync(cancellationToken);
        if (recent.Count > 0)
        {
            Remember();
        }

        return recent;
    }

    /// <summary>Sets the flags and keywords of a message by renaming its file; null when it is gone.</summary>
    public Task<MaildirMessage?> SetFlagsAsync(
        uint uid, MessageFlags flags, IReadOnlyCollection<string> keywords, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keywords);
        return UpdateFlagsAsync(uid, _ => (flags, keywords), cancellationToken);
    }

    /// <summary>
    /// Changes the flags of a message by renaming its file: <paramref name="change"/> gets the message as
    /// it is now and returns its new flags and keywords. When another session renamed the file meanwhile,
    /// the change is worked out again from what that session left, so neither change is lost. Null when the
    /// message is gone; <see cref="KeywordLimitException"/> when a new keyword no longer fits the folder.
    /// </summary>
    public async Task<MaildirMessage?> UpdateFlagsAsync(
        uint uid, Func<MaildirMessage, (MessageFlags Flags, IReadOnlyCollection<string> Keywords)> change,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (FindByUid(uid) is not { } message)
            {
                return null;
            }

            var (flags, keywords) = change(message);
            var letters = keywords.Count == 0 ? string.Empty : await KeywordLettersAsync(keywords, cancellationToken);
            var renamed = message.Name.WithFlags(flags, letters).CurName;
            if (renamed == message.FileName && !message.InNew)
            {
                return message;
            }

            if (PosixFileSystem.TryRename(FilePath(message), System.IO.Path.Combine(Path, "cur", renamed)))
            {
                // Our own rename is applied to the view directly: flagging many messages stays linear.
                return NoteRenamed(message, renamed);
            }

            // Renamed by another session meanwhile: look again.
            Relist();
        }

        return FindByUid(uid);
    }

    /// <summary>Lists <c>new/</c> and <c>cur/</c> again now (a file was not where the view said).</summary>
    private void Relist()
    {
        _cur.ForceRefresh();
        _new.ForceRefresh();
        Rebuild(CurrentFiles());
    }

    /// <summary>
    /// Removes the messages (their files held aside a while for sessions that still show them, see
    /// <see cref="HoldFor"/>) and records the freed space in <c>maildirsize</c>.
    /// </summary>
    public async Task<IReadOnlyList<uint>> ExpungeAsync(IEnumerable<uint> uids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uids);
        var removed = new List<uint>();
        long bytes = 0;
        var held = System.IO.Path.Combine(Path, HeldDirectory);
        var holding = false;
        foreach (var uid in uids)
        {
            if (FindByUid(uid) is not { } message)
            {
                continue;
            }

            if (!holding)
            {
                Directory.CreateDirectory(held);
                holding = true;
            }

            var size = GetSizeOrZero(message);
            // Only the session whose move took the file counts it (two may expunge at once).
            if (TryHold(message, held))
            {
                removed.Add(uid);
                bytes += size;
            }
        }

        if (removed.Count > 0)
        {
            await new MaildirQuota(_mailboxRoot, _clock).AddAsync(_quotaLimit, -bytes, -removed.Count, cancellationToken);
            await SyncAsync(cancellationToken);
        }

        PruneHeld();
        return removed;
    }

    /// <summary>
    /// Stores a new message (IMAP APPEND) in <c>cur/</c> with its flags and internal date; returns its UID,
    /// or null when it would pass the quota.
    /// </summary>
    public async Task<uint?> AppendAsync(
        Stream message, MessageFlags flags, IReadOnlyCollection<string> keywords, DateTimeOffset? internalDate,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(keywords);
        EnsureRecentMark();
        var unique = MaildirFileName.NewUniqueBase(_hostName, _clock.GetUtcNow());
        var tmp = System.IO.Path.Combine(Path, "tmp", unique);
        try
        {
            long size, virtualSize;
            await using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true))
            {
                (size, virtualSize) = await LineEndingWriter.CopyAsync(message, file, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            var quota = new MaildirQuota(_mailboxRoot, _clock);
            if ((await quota.GetUsageAsync(_quotaLimit, cancellationToken)).WouldExceed(size))
            {
                File.Delete(tmp);
                return null;
            }

            var letters = keywords.Count == 0 ? string.Empty : await KeywordLettersAsync(keywords, cancellationToken);
            var name = new MaildirFileName(MaildirFileName.WithSizes(unique, size, virtualSize), flags, string.Empty)
                .WithFlags(flags, letters);
            var final = System.IO.Path.Combine(Path, "cur", name.CurName);
            File.Move(tmp, final, overwrite: false);
            if (internalDate is { } date)
            {
                // Set on the final file: an old date on a tmp file would look like crash debris.
                File.SetLastWriteTimeUtc(final, date.UtcDateTime);
            }

            PosixFileSystem.FsyncDirectory(System.IO.Path.Combine(Path, "cur"));
            await quota.AddAsync(_quotaLimit, size, 1, cancellationToken);
            return await UidOfAsync(name.BaseName, cancellationToken);
        }
        catch
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }

            throw;
        }
    }

    /// <summary>Copies a message into another folder of the same mailbox (a hard link); returns the new UID.</summary>
    public async Task<uint?> CopyToAsync(uint uid, MaildirFolder target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.EnsureRecentMark();
        if (FindByUid(uid) is not { } message)
        {
            return null;
        }

        var size = GetSize(message);
        var quota = new MaildirQuota(_mailboxRoot, _clock);
        if ((await quota.GetUsageAsync(_quotaLimit, cancellationToken)).WouldExceed(size))
        {
            return null;
        }

        var name = NameInTarget(message, target);
        var destination = System.IO.Path.Combine(target.Path, "cur", name.CurName);
        if (!File.Exists(FilePath(message)))
        {
            // Renamed (flags) by another session since the last sync: find its current name.
            Relist();
            if (FindByUid(uid) is not { } current)
            {
                return null;
            }

            message = current;
        }

        try
        {
            PosixFileSystem.Link(FilePath(message), destination);
        }
        catch (IOException) when (!File.Exists(destination) && File.Exists(FilePath(message)))
        {
            // No hard links on this file system: copy the bytes.
            File.Copy(FilePath(message), destination);
        }

        await quota.AddAsync(_quotaLimit, size, 1, cancellationToken);
        return await target.UidOfAsync(name.BaseName, cancellationToken);
    }

    /// <summary>Moves a message into another folder of the same mailbox (a rename); returns the new UID.</summary>
    public async Task<uint?> MoveToAsync(uint uid, MaildirFolder target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.EnsureRecentMark();
        if (FindByUid(uid) is not { } message)
        {
            return null;
        }

        var name = NameInTarget(message, target);
        var destination = System.IO.Path.Combine(target.Path, "cur", name.CurName);
        if (!PosixFileSystem.TryRename(FilePath(message), destination))
        {
            // Renamed (flags) by another session since the last sync: try its current name once.
            Relist();
            if (FindByUid(uid) is not { } current || !PosixFileSystem.TryRename(FilePath(current), destination))
            {
                return null;
            }
        }

        await SyncAsync(cancellationToken);
        return await target.UidOfAsync(name.BaseName, cancellationToken);
    }

    /// <summary>A fresh unique base for the copy (keeping S= and W=), with the same flags.</summary>
    private MaildirFileName NameInTarget(MaildirMessage message, MaildirFolder target)
    {
        var unique = MaildirFileName.NewUniqueBase(_hostName, _clock.GetUtcNow());
        var size = GetSize(message);
        var withSizes = MaildirFileName.WithSizes(unique, size, message.Name.VirtualSize ?? GetVirtualSize(message));
        // Keyword letters are per folder: carry the keywords by name.
        var keywords = message.Keywords;
        var letters = keywords.Count == 0 ? string.Empty : target._keywords.LettersFor(keywords, target.Path);
        return new MaildirFileName(withSizes, message.Flags, letters);
    }

    /// <summary>
    /// The UID the message got; 0 when another session expunged it before it could be read: it was stored all the
    /// same, and the caller answers without the UID (RFC 4315 allows APPEND and COPY to leave APPENDUID/COPYUID out).
    /// </summary>
    private async Task<uint> UidOfAsync(string baseName, CancellationToken cancellationToken)
    {
        await SyncAsync(cancellationToken);
        return _messages.LastOrDefault(m => m.BaseName == baseName)?.Uid ?? 0;
    }

    /// <summary>Letters for keywords; new keywords are added to <c>dovecot-keywords</c> under the folder's lock.</summary>
    private async Task<string> KeywordLettersAsync(IReadOnlyCollection<string> keywords, CancellationToken cancellationToken)
    {
        // Keywords the folder has already: their letters without the lock (the usual STORE).
        if (_keywords.KnownLetters(keywords) is { } known)
        {
            return known;
        }

        await using (await DotLock.AcquireAsync(System.IO.Path.Combine(Path, UidList.FileName), LockTimeout, cancellationToken))
        {
            _keywords = KeywordList.Load(Path);
            return _keywords.LettersFor(keywords, Path);
        }
    }

    private long GetSizeOrZero(MaildirMessage message)
    {
        try
        {
            return GetSize(message);
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }
}
