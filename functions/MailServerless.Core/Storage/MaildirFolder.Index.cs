namespace MailServerless.Core.Storage;

/// <summary>
/// Mod-sequences (RFC 7162) from the folder's <see cref="FolderIndex"/>: after each sync, a message whose flags the
/// index has not seen gets the next one, and an expunge is recorded with its own. Any process sharing the store (the
/// other edge servers, Dovecot) may change the flags; whichever session notices first records the change, under
/// <c>msl-index.lock</c>, and the others read it from the file.
/// </summary>
public sealed partial class MaildirFolder
{
    private FolderIndex _index = new();

    /// <summary>Messages whose flags changed (or that arrived) since they were last matched with the index.</summary>
    private readonly HashSet<uint> _unstamped = [];

    /// <summary>Every message must be matched again, and every UID the index knows but the folder lacks is expunged.</summary>
    private bool _stampAll = true;

    /// <summary>HIGHESTMODSEQ: the highest mod-sequence of any change to the folder, expunges included.</summary>
    public ulong HighestModSeq => _index.HighestModSeq;

    /// <summary>
    /// The UIDs expunged after <paramref name="modSeq"/>, as far as the index remembers; null when it no longer remembers
    /// that far back (the caller then reports every UID it cannot find, as RFC 7162 §3.2.5.1 allows).
    /// </summary>
    public IReadOnlyList<uint>? ExpungedSince(ulong modSeq) => _index.ExpungedSince(modSeq);

    /// <summary>Records this folder's own flag changes in the index now (a sync would), so their mod-sequences can be told.</summary>
    public Task RecordChangesAsync(CancellationToken cancellationToken = default) => TryStampModSeqsAsync(cancellationToken);

    /// <summary>
    /// The index is never needed for correctness: when it cannot be written (a read-only or full disk, a lock held
    /// too long), the folder works on with the mod-sequences it has, and the next sync tries again.
    /// </summary>
    private async Task TryStampModSeqsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await StampModSeqsAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException)
        {
            // What was recorded in memory but not written is dropped: the next sync reads the file again.
            _index.Invalidate();
            _stampAll = true;
        }
    }

    private async Task StampModSeqsAsync(CancellationToken cancellationToken)
    {
        if (UidValidity == 0)
        {
            return;
        }

        _index.Refresh(Path, UidValidity);
        if (!ApplyIndex() && !_index.NeedsRewrite)
        {
            return;
        }

        await using (await DotLock.AcquireAsync(System.IO.Path.Combine(Path, FolderIndex.FileName), LockTimeout, cancellationToken))
        {
            _index.Refresh(Path, UidValidity);
            ApplyIndex();
            var all = _stampAll || _index.NeedsRewrite;
            var pending = new List<string>();
            foreach (var uid in (all ? _messages.Select(m => m.Uid) : _unstamped).ToList())
            {
                if (!_indexByUid.TryGetValue(uid, out var i))
                {
                    continue;
                }

                var message = _messages[i];
                var flags = FolderIndex.FlagsOf(message);
                if (_index.ModSeqFor(uid, flags) is { } known)
                {
                    _messages[i] = message.ModSeq == known ? message : message with { ModSeq = known };
                }
                else if (_index.NeedsRewrite || File.Exists(FilePath(message)))
                {
                    // (A file no longer under its name: this view is behind, and the next sync records what it finds.)
                    _messages[i] = message with { ModSeq = _index.Record(uid, flags, pending) };
                }
            }

            if (_stampAll)
            {
                // Only UIDs this view's listing could have seen: a message another process numbered and stamped since
                // is not gone, only newer than the listing.
                var listed = _uidList.NextUid;
                foreach (var gone in _index.Uids.Where(uid => uid < listed && !_indexByUid.ContainsKey(uid)).ToList())
                {
                    _index.RecordExpunge(gone, pending);
                }
            }

            _index.Write(Path, pending);
            Version++;
            _unstamped.Clear();
            _stampAll = false;
            _index.TakeTouched();
        }
    }

    /// <summary>
    /// Gives messages the mod-sequences the index holds for their flags (what the file changed since it was last read,
    /// and this folder's own changes); true when some message or expunge is not in the index yet.
    /// </summary>
    private bool ApplyIndex()
    {
        var touched = _index.TakeTouched();
        var check = _stampAll || touched is null ? Enumerable.Range(0, _messages.Count)
            : touched.Concat(_unstamped).Distinct().Select(uid => _indexByUid.TryGetValue(uid, out var i) ? i : -1).Where(i => i >= 0).ToList();
        var missing = false;
        var moved = false;
        foreach (var i in check)
        {
            var message = _messages[i];
            if (_index.ModSeqFor(message.Uid, FolderIndex.FlagsOf(message)) is { } known)
            {
                if (message.ModSeq != known)
                {
                    _messages[i] = message with { ModSeq = known };
                    moved = true;
                }

                _unstamped.Remove(message.Uid);
            }
            else
            {
                missing = true;
            }
        }

        if (!missing && _stampAll && _index.Uids.Any(uid => uid < _uidList.NextUid && !_indexByUid.ContainsKey(uid)))
        {
            missing = true;
        }

        if (!missing)
        {
            _stampAll = false;
        }

        if (moved)
        {
            Version++; // a session's view shows mod-sequences too
        }

        return missing || _unstamped.Count > 0;
    }
}
