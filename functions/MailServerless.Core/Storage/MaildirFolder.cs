namespace MailServerless.Core.Storage;

/// <summary>
/// One open folder of a mailbox: its messages with UIDs, flags and sizes, kept in step with
/// the disk by <see cref="SyncAsync"/>. UIDs live in Dovecot's <c>dovecot-uidlist</c>, so Dovecot
/// and this store see the same UIDs; new files get theirs under the <c>dovecot-uidlist.lock</c>
/// dotlock. Opening reads the UID list and lists <c>new/</c> and <c>cur/</c> without a stat per
/// file; a later sync lists only a directory whose modification time moved.
/// </summary>
public sealed partial class MaildirFolder
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Directory times this close to now may hide a change made in the same tick; list again.</summary>
    private static readonly TimeSpan TimestampSlack = TimeSpan.FromSeconds(2);

    private readonly string _mailboxRoot;
    private readonly TimeProvider _clock;
    private readonly string _hostName;
    private readonly QuotaLimit _quotaLimit;
    private DirectoryListing _new;
    private DirectoryListing _cur;
    private (DateTime Time, long Length) _uidListStamp;
    private UidList _uidList;
    private List<MaildirMessage> _messages = [];
    private Dictionary<uint, int> _indexByUid = [];
    private KeywordList _keywords;

    private readonly Dictionary<string, long> _virtualSizes = new(StringComparer.Ordinal);
    private readonly Func<uint> _newUidValidity;
    private readonly FolderStateCache? _cache;

    private MaildirFolder(
        string mailboxRoot, string folder, TimeProvider clock, string hostName, QuotaLimit quotaLimit, Func<uint> newUidValidity,
        FolderStateCache? cache)
    {
        _cache = cache;
        _newUidValidity = newUidValidity;
        _mailboxRoot = mailboxRoot;
        _clock = clock;
        _hostName = hostName;
        _quotaLimit = quotaLimit;
        Name = folder;
        Path = MaildirLayout.FolderPath(mailboxRoot, folder);
        _new = new DirectoryListing(System.IO.Path.Combine(Path, "new"));
        _cur = new DirectoryListing(System.IO.Path.Combine(Path, "cur"));
        _uidList = UidList.CreateNew(0);
        _keywords = new KeywordList();
    }

    public string Name { get; }

    public string Path { get; }

    public uint UidValidity => _uidList.UidValidity;

    public uint NextUid => _uidList.NextUid;

    /// <summary>The messages in UID order.</summary>
    public IReadOnlyList<MaildirMessage> Messages => _messages;

    /// <summary>The keywords of the folder's <c>dovecot-keywords</c> as last read.</summary>
    public IReadOnlyList<string> Keywords => _keywords.All;

    /// <summary>Moves on whenever <see cref="Messages"/> changes, so a reader can skip comparing an unchanged view.</summary>
    public long Version { get; private set; }

    /// <summary>Opens an existing folder (INBOX is created if missing); throws <see cref="DirectoryNotFoundException"/> otherwise.</summary>
    internal static async Task<MaildirFolder> OpenAsync(
        string mailboxRoot, string folder, TimeProvider clock, string hostName, QuotaLimit quotaLimit,
        Func<uint> newUidValidity, FolderStateCache? cache, CancellationToken cancellationToken = default)
    {
        if (MaildirLayout.IsInbox(folder))
        {
            MaildirLayout.EnsureFolder(mailboxRoot, folder);
        }
        else if (!Directory.Exists(MaildirLayout.FolderPath(mailboxRoot, folder)))
        {
            throw new DirectoryNotFoundException($"folder '{folder}' does not exist");
        }
        else
        {
            // A folder made by another program may lack a subdirectory.
            MaildirLayout.EnsureFolder(mailboxRoot, folder);
        }

        var opened = new MaildirFolder(mailboxRoot, folder, clock, hostName, quotaLimit, newUidValidity, cache);
        opened.PruneHeld();
        // What this process last knew of the folder: the sync then costs only what changed since.
        var known = cache?.Get(opened.Path) is { } state && opened.Restore(state);
        var before = opened.Version;
        await opened.SyncAsync(cancellationToken);
        if (!known || opened.Version != before)
        {
            cache?.Put(opened.Path, opened.Snapshot());
        }

        return opened;
    }

    public MaildirMessage? FindByUid(uint uid) => _indexByUid.TryGetValue(uid, out var index) ? _messages[index] : null;

    /// <summary>The file size: from <c>,S=</c>, else one stat.</summary>
    public long GetSize(MaildirMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Name.Size ?? new FileInfo(FilePath(message)).Length;
    }

    /// <summary>The RFC 822 size (CRLF line ends): from <c>,W=</c>, else computed from the file once.</summary>
    public long GetVirtualSize(MaildirMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Name.VirtualSize is { } size)
        {
            return size;
        }

        // A file without ,W= (written by another program, or migrated): its octets never change, so it is read once.
        if (_virtualSizes.TryGetValue(message.BaseName, out var known))
        {
            return known;
        }

        var computed = ComputeVirtualSize(message);
        if (_virtualSizes.Count >= 100_000)
        {
            _virtualSizes.Clear();
        }

        _virtualSizes[message.BaseName] = computed;
        return computed;
    }

    private long ComputeVirtualSize(MaildirMessage message)
    {

        using var stream = OpenRead(message);
        long total = 0, read;
        var buffer = new byte[64 * 1024];
        var previous = (byte)0;
        while ((read = stream.Read(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                total += buffer[i] == '\n' && previous != '\r' ? 2 : 1;
                previous = buffer[i];
            }
        }

        return total;
    }

    /// <summary>IMAP INTERNALDATE: the file's modification time, as Dovecot reads it for Maildir.</summary>
    public DateTimeOffset GetInternalDate(MaildirMessage message)
    {
        return ReadFile(message, path => new FileInfo(path) is { Exists: true } file
            ? new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)
            : throw new FileNotFoundException("message file is gone", path));
    }

    public Stream OpenRead(MaildirMessage message) =>
        ReadFile(message, path => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024));

    public string FilePath(MaildirMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return System.IO.Path.Combine(Path, message.InNew ? "new" : "cur", message.FileName);
    }

    /// <summary>
    /// Brings the view up to date with the disk: UIDs for new files, expunges, flag changes made by others.
    /// When only <c>new/</c> gained files, the work is in proportion to them (the usual case: new mail).
    /// </summary>
    public async Task<FolderChanges> SyncAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var changes = await SyncCoreAsync(cancellationToken);
            await TryStampModSeqsAsync(cancellationToken);
            return changes;
        }
        catch
        {
            // What was listed was not applied: the next sync must look again from scratch.
            _new.Invalidate();
            _cur.Invalidate();
            _uidListStamp = default;
            throw;
        }
    }

    private async Task<FolderChanges> SyncCoreAsync(CancellationToken cancellationToken)
    {
        var newChanged = _new.Refresh(_clock, TimestampSlack);
        var curChanged = _cur.Refresh(_clock, TimestampSlack);
        if (!newChanged && !curChanged && UidListStamp() == _uidListStamp && _messages.Count > 0)
        {
            return FolderChanges.None;
        }

        if (!curChanged && _new.Removed.Count == 0 && _messages.Count > 0 && !_uidList.Damaged &&
            await TrySyncAdditionsAsync(cancellationToken) is { } additions)
        {
            return additions;
        }

        ReloadUidList();
        var files = CurrentFiles();
        var unknown = files.Keys.Any(b => _uidList.RecordFor(b) is null);
        if (unknown || _uidList.Damaged || _uidList.UidValidity == 0 || _uidListStamp.Length < 0)
        {
            await AssignUidsAsync(cancellationToken);
            files = CurrentFiles();
        }

        return Rebuild(files);
    }

    /// <summary>
    /// The fast path: files only appeared in <c>new/</c>. Reads what was appended to the UID list,
    /// assigns UIDs to the files still without one, and appends the messages. Null: take the full path.
    /// </summary>
    private async Task<FolderChanges?> TrySyncAdditionsAsync(CancellationToken cancellationToken)
    {
        if (!_uidList.TryReadAppended(Path))
        {
            return null;
        }

        var added = _new.Added.Select(name => (Name: name, Base: MaildirFileName.Parse(name).BaseName)).ToList();
        if (added.Any(a => _uidList.RecordFor(a.Base) is null))
        {
            await using (await DotLock.AcquireAsync(System.IO.Path.Combine(Path, UidList.FileName), LockTimeout, cancellationToken))
            {
                if (!_uidList.TryReadAppended(Path))
                {
                    return null;
                }

                var unknown = added.Where(a => _uidList.RecordFor(a.Base) is null).Select(a => a.Base).Order(MaildirFileName.DeliveryOrder).ToList();
                if (!_uidList.Append(Path, _uidList.Assign(unknown)))
                {
                    return null;
                }
            }
        }

        _uidListStamp = UidListStamp();
        var lastUid = _messages[^1].Uid;
        var messages = added.Select(a => (a.Name, Uid: _uidList.RecordFor(a.Base)!.Uid)).OrderBy(a => a.Uid).ToList();
        if (messages.Count > 0 && messages[0].Uid <= lastUid)
        {
            return null; // a file came back with an old UID: rebuild in order
        }

        var appended = new List<MaildirMessage>(messages.Count);
        foreach (var (name, uid) in messages)
        {
            var parsed = MaildirFileName.Parse(name);
            var message = new MaildirMessage(uid, name, true, parsed.Flags, _keywords.Names(parsed.KeywordLetters));
            _indexByUid[uid] = _messages.Count;
            _messages.Add(message);
            _unstamped.Add(uid);
            appended.Add(message);
        }

        Version++;

        return new FolderChanges([], appended, []);
    }

    /// <summary>Base name → (file name, in new/) for every message file present.</summary>
    private Dictionary<string, (string FileName, bool InNew)> CurrentFiles()
    {
        var files = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        foreach (var name in _cur.Names)
        {
            files[MaildirFileName.Parse(name).BaseName] = (name, false);
        }

        foreach (var name in _new.Names)
        {
            files.TryAdd(MaildirFileName.Parse(name).BaseName, (name, true));
        }

        return files;
    }

    /// <summary>Gives UIDs to files the list does not know, under the lock, re-reading the list first.</summary>
    private async Task AssignUidsAsync(CancellationToken cancellationToken)
    {
        await using (await DotLock.AcquireAsync(System.IO.Path.Combine(Path, UidList.FileName), LockTimeout, cancellationToken))
        {
            var fresh = UidList.Load(Path, _newUidValidity);
            // Under the lock a line without its newline is no writer at work but debris: rewrite.
            var rewrite = fresh is null || fresh.Damaged || fresh.HasPartialTail;
            _uidList = fresh ?? UidList.CreateNew(_newUidValidity());

            // Another process may have renamed or added files since we listed.
            _new.ForceRefresh();
            _cur.ForceRefresh();
            var files = CurrentFiles();
            // Older files first: their names begin with the delivery time (as Dovecot orders them).
            var unknown = files.Keys.Where(b => _uidList.RecordFor(b) is null).Order(MaildirFileName.DeliveryOrder).ToList();
            var gone = _uidList.Records.Count(r => !files.ContainsKey(r.BaseName));
            var added = _uidList.Assign(unknown);
            // Dovecot rewrites ("compresses") when at most 75 % of the records still name a file.
            if (rewrite || (gone > 0 && (_uidList.Records.Count - gone) * 4 <= _uidList.Records.Count * 3))
            {
                _uidList.RemoveWhere(r => !files.ContainsKey(r.BaseName));
                _uidList.Save(Path);
            }
            else if (added.Count > 0 && !_uidList.Append(Path, added))
            {
                _uidList.Save(Path);
            }

            _uidListStamp = UidListStamp();
        }
    }

    private void ReloadUidList()
    {
        _uidListStamp = UidListStamp();
        var loaded = UidList.Load(Path, _newUidValidity);
        if (loaded is not null)
        {
            _uidList = loaded;
        }

        _keywords = KeywordList.Load(Path);
    }

    private (DateTime, long) UidListStamp()
    {
        var info = new FileInfo(System.IO.Path.Combine(Path, UidList.FileName));
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    /// <summary>
    /// Leaves what this folder knows now for the next open in this process (a session closing the folder,
    /// or after moving new mail to cur/): that open then syncs only later changes.
    /// </summary>
    public void Remember() => _cache?.Put(Path, Snapshot());

    /// <summary>A copy of what this folder knows, for <see cref="FolderStateCache"/>.</summary>
    internal FolderState Snapshot() =>
        new(_uidListStamp, _uidList.Clone(), [.. _messages], new Dictionary<uint, int>(_indexByUid), _keywords.Clone(), _new.Clone(), _cur.Clone(), _index.Clone());

    /// <summary>Takes over a cached state (copied: the cache's own stays untouched); false when it does not fit.</summary>
    private bool Restore(FolderState state)
    {
        _uidListStamp = state.UidListStamp;
        _uidList = state.UidList.Clone();
        _messages = [.. state.Messages];
        _indexByUid = new Dictionary<uint, int>(state.IndexByUid);
        _keywords = state.Keywords.Clone();
        _new = state.New.Clone();
        _cur = state.Cur.Clone();
        _index = state.Index.Clone();
        Version++;
        return true;
    }

    /// <summary>Updates the view after this folder renamed a message's file into <c>cur/</c> itself.</summary>
    private MaildirMessage NoteRenamed(MaildirMessage message, string newFileName, bool sameFlags = false)
    {
        (message.InNew ? _new : _cur).Forget(message.FileName);
        _cur.Note(newFileName);
        MaildirMessage renamed;
        if (sameFlags)
        {
            renamed = message with { FileName = newFileName, InNew = false };
        }
        else
        {
            var name = MaildirFileName.Parse(newFileName);
            renamed = new MaildirMessage(message.Uid, newFileName, false, name.Flags, _keywords.Names(name.KeywordLetters)) { ModSeq = message.ModSeq };
        }

        _messages[_indexByUid[message.Uid]] = renamed;
        if (!sameFlags)
        {
            _unstamped.Add(message.Uid);
        }

        Version++;
        return renamed;
    }

    private FolderChanges Rebuild(Dictionary<string, (string FileName, bool InNew)> files)
    {
        var previous = _messages.ToDictionary(m => m.Uid);
        var messages = new List<MaildirMessage>(files.Count);
        var added = new List<MaildirMessage>();
        var changed = new List<MaildirMessage>();
        foreach (var record in _uidList.Records)
        {
            if (!files.TryGetValue(record.BaseName, out var file))
            {
                continue;
            }

            if (previous.Remove(record.Uid, out var before) && before.FileName == file.FileName && before.InNew == file.InNew &&
                before.Keywords.SequenceEqual(_keywords.Names(before.Name.KeywordLetters)))
            {
                messages.Add(before);
                continue;
            }

            var name = MaildirFileName.Parse(file.FileName);
            var message = new MaildirMessage(record.Uid, file.FileName, file.InNew, name.Flags, _keywords.Names(name.KeywordLetters))
            {
                ModSeq = before?.ModSeq ?? 0,
            };
            messages.Add(message);
            if (before is null)
            {
                added.Add(message);
            }
            else if (before.FileName != message.FileName)
            {
                changed.Add(message);
            }
        }

        _messages = messages;
        _indexByUid = messages.Select((m, i) => (m.Uid, i)).ToDictionary(p => p.Uid, p => p.i);
        _stampAll = true;
        Version++;
        return new FolderChanges(previous.Keys.Order().ToList(), added, changed);
    }

    /// <summary>
    /// The names in one of <c>new/</c> or <c>cur/</c>, listed again only when the directory changed,
    /// with what appeared and disappeared since the previous listing.
    /// </summary>
    internal sealed class DirectoryListing(string path)
    {
        private DateTime _stamp = DateTime.MinValue;
        private DateTime _listedAt = DateTime.MinValue;
        private HashSet<string> _names = new(StringComparer.Ordinal);

        public IReadOnlyCollection<string> Names => _names;

        public IReadOnlyList<string> Added { get; private set; } = [];

        public IReadOnlyList<string> Removed { get; private set; } = [];

        public bool Refresh(TimeProvider clock, TimeSpan slack)
        {
            var stamp = Directory.GetLastWriteTimeUtc(path);
            // A listing taken in the same tick as the last change may have missed a later change
            // in that tick: only a listing made well after the directory's time is trusted.
            if (stamp == _stamp && _listedAt - stamp > slack)
            {
                Added = Removed = [];
                return false;
            }

            _stamp = stamp;
            _listedAt = clock.GetUtcNow().UtcDateTime;
            var names = List(path);
            Added = names.Where(n => !_names.Contains(n)).ToList();
            Removed = _names.Where(n => !names.Contains(n)).ToList();
            _names = names;
            return Added.Count > 0 || Removed.Count > 0;
        }

        /// <summary>The same listing, independent of this one.</summary>
        public DirectoryListing Clone() => new(path)
        {
            _stamp = _stamp,
            _listedAt = _listedAt,
            _names = new HashSet<string>(_names, StringComparer.Ordinal),
        };

        /// <summary>A name this process removed itself.</summary>
        public void Forget(string name) => _names.Remove(name);

        /// <summary>A name this process added itself.</summary>
        public void Note(string name) => _names.Add(name);

        public void ForceRefresh()
        {
            _stamp = Directory.GetLastWriteTimeUtc(path);
            _listedAt = DateTime.UtcNow;
            _names = List(path);
            Added = Removed = [];
        }

        /// <summary>Forget the listing: the next refresh lists again and reports everything as added.</summary>
        public void Invalidate()
        {
            _stamp = DateTime.MinValue;
            _listedAt = DateTime.MinValue;
        }

        // Names starting with '.' are not messages (Maildir specification).
        private static HashSet<string> List(string directory) =>
            Directory.EnumerateFiles(directory).Select(p => System.IO.Path.GetFileName(p)).Where(n => !n.StartsWith('.'))
                .ToHashSet(StringComparer.Ordinal);
    }
}
