using System.Globalization;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// The selected folder as this session's client knows it: the sequence of messages it was told about,
/// which are \Recent for this session, and whether it may change anything (EXAMINE: no). Changes on
/// disk (a delivery, another session, another edge server) are turned into untagged EXISTS, EXPUNGE
/// and FETCH responses by <see cref="UpdateAsync"/>.
/// </summary>
public sealed class SelectedFolder
{
    private readonly HashSet<uint> _recent = [];

    /// <summary>The keywords the client was told of in FLAGS and PERMANENTFLAGS (RFC 3501 §7.2.6).</summary>
    private readonly List<string> _keywords = [];
    private List<MaildirMessage> _view;
    private long _version;
    private bool _expungesPending;

    private SelectedFolder(MaildirFolder folder, bool readOnly)
    {
        Folder = folder;
        ReadOnly = readOnly;
        _view = folder.Messages.ToList();
        _version = folder.Version;
    }

    public MaildirFolder Folder { get; private set; }

    public bool ReadOnly { get; }

    public IReadOnlyList<MaildirMessage> View => _view;

    public int RecentCount => HidesRecent ? 0 : _recent.Count;

    /// <summary>
    /// The session speaks IMAP4rev2, which has no \Recent (RFC 9051 Appendix E): never shown, never counted. The
    /// messages are still claimed at SELECT, so that no IMAP4rev1 session shows them as recent afterwards.
    /// </summary>
    public bool HidesRecent { get; set; }

    public static async Task<SelectedFolder> OpenAsync(MaildirFolder folder, bool readOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        // RFC 3501 §2.3.2: read-write, the session claims what no session saw yet: \Recent to it alone, however it
        // arrived. Read-only (EXAMINE), it shows them as recent and leaves them for the next SELECT.
        var recent = readOnly ? folder.UnclaimedRecent() : await folder.ClaimRecentAsync(cancellationToken);
        if (!readOnly)
        {
            await folder.TakeNewAsync(cancellationToken); // into cur/, as Dovecot moves them
        }

        var selected = new SelectedFolder(folder, readOnly);
        selected._recent.UnionWith(recent);
        selected.AddKeywords(folder.Keywords.Concat(selected._view.SelectMany(m => m.Keywords)));
        return selected;
    }

    public bool IsRecent(uint uid) => !HidesRecent && _recent.Contains(uid);

    /// <summary>CONDSTORE is on: flag changes report MODSEQ (RFC 7162 §3.1.4).</summary>
    public bool ModSeqs { get; private set; }

    /// <summary>QRESYNC is on: expunges are reported as VANISHED with UIDs, not EXPUNGE (RFC 7162 §3.2.10).</summary>
    public bool Vanished { get; private set; }

    public void ReportModSeqs(bool vanished)
    {
        ModSeqs = true;
        Vanished |= vanished;
    }

    /// <summary>" MODSEQ (n)" to close a FETCH response with, when CONDSTORE is on; else nothing.</summary>
    public string ModSeqItem(MaildirMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ModSeqs ? " MODSEQ (" + message.ModSeq.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty;
    }

    /// <summary>The FLAGS response: the system flags, Dovecot's $Forwarded, and the folder's keywords.</summary>
    public string FlagsLine => $@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft {ImapFlags.Forwarded}{KeywordText})";

    /// <summary>The PERMANENTFLAGS response: the same, and \* (new keywords may be made), or none when read-only.</summary>
    public string PermanentFlagsLine => ReadOnly
        ? "* OK [PERMANENTFLAGS ()] Read-only mailbox."
        : $@"* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft {ImapFlags.Forwarded}{KeywordText} \*)] Flags permitted.";

    private string KeywordText => _keywords.Count == 0 ? string.Empty : " " + string.Join(' ', _keywords);

    /// <summary>
    /// Tells the client of keywords it has not heard of, before a FETCH shows them: a new FLAGS and PERMANENTFLAGS
    /// (RFC 3501 §7.2.6), as Dovecot does; clients refuse a keyword missing from FLAGS.
    /// </summary>
    public void AnnounceKeywords(IEnumerable<string> keywords, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (AddKeywords(keywords))
        {
            write(FlagsLine);
            write(PermanentFlagsLine);
        }
    }

    private bool AddKeywords(IEnumerable<string> keywords)
    {
        var added = false;
        foreach (var keyword in keywords)
        {
            if (!_keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase))
            {
                _keywords.Add(keyword);
                added = true;
            }
        }

        return added;
    }

    /// <summary>The selected folder was renamed: the same messages (and UIDs) under its new name.</summary>
    public void Retarget(MaildirFolder renamed)
    {
        ArgumentNullException.ThrowIfNull(renamed);
        Folder = renamed;
        _version = -1; // compare once with the reopened folder
    }

    public uint HighestUid => _view.Count == 0 ? 0 : _view[^1].Uid;

    /// <summary>The UIDs the last SEARCH RETURN (SAVE) kept (RFC 5182): "$"; empty after a new SELECT, as this is a new object.</summary>
    public HashSet<uint> SavedUids { get; } = [];

    /// <summary>The messages a sequence set names, with their sequence numbers, in order.</summary>
    public IEnumerable<(uint Sequence, MaildirMessage Message)> Resolve(SequenceSet set, bool byUid)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (_view.Count == 0)
        {
            yield break;
        }

        if (set.IsSaved)
        {
            // "$": the saved messages still here, in sequence order (RFC 5182 §2.1: expunged ones drop out).
            for (var i = 0; i < _view.Count; i++)
            {
                if (SavedUids.Contains(_view[i].Uid))
                {
                    yield return ((uint)i + 1, _view[i]);
                }
            }

            yield break;
        }

        var selected = new SortedSet<int>();
        foreach (var (low, high) in set.Ranges(byUid ? HighestUid : (uint)_view.Count))
        {
            if (byUid)
            {
                var first = FirstIndexAtLeast(low);
                for (var i = first; i < _view.Count && _view[i].Uid <= high; i++)
                {
                    selected.Add(i);
                }
            }
            else
            {
                for (var s = Math.Max(low, 1); s <= Math.Min(high, (uint)_view.Count); s++)
                {
                    selected.Add((int)s - 1);
                }
            }
        }

        foreach (var index in selected)
        {
            yield return ((uint)index + 1, _view[index]);
        }
    }

    /// <summary>True when every number of a sequence-number set is a message (RFC 3501: else BAD).</summary>
    public bool IsValidSequenceSet(SequenceSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return set.IsSaved || set.Ranges((uint)_view.Count).All(r => r.High <= _view.Count && r.Low >= 1);
    }

    /// <summary>This session changed a message itself (STORE): its view follows without a report.</summary>
    public void Replace(uint sequence, MaildirMessage message) => _view[(int)sequence - 1] = message;

    /// <summary>
    /// Syncs with the disk and queues the untagged responses for what changed. During FETCH, STORE and
    /// SEARCH by sequence number expunges are held back (RFC 3501 §7.4.1) and reported later.
    /// </summary>
    public async Task UpdateAsync(bool allowExpunge, Action<string> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await Folder.SyncAsync(cancellationToken);
        if (Folder.Messages.Count > 0 && Folder.Messages[^1].Uid > HighestUid)
        {
            // New to this session: recent to it if no other session claimed them first (RFC 3501 §2.3.2).
            _recent.UnionWith(ReadOnly ? Folder.UnclaimedRecent(after: HighestUid) : await Folder.ClaimRecentAsync(cancellationToken));
        }

        if (!ReadOnly && Folder.Messages.Any(m => m.InNew))
        {
            await Folder.TakeNewAsync(cancellationToken);
        }

        if (Folder.Version == _version && !(_expungesPending && allowExpunge))
        {
            return;
        }

        _version = Folder.Version;
        var current = Folder.Messages;
        var view = new List<MaildirMessage>(Math.Max(current.Count, _view.Count));
        var expunged = new List<int>();
        var changed = new List<int>();
        var j = 0;
        for (var i = 0; i < _view.Count; i++)
        {
            var known = _view[i];
            while (j < current.Count && current[j].Uid < known.Uid)
            {
                j++;
            }

            if (j < current.Count && current[j].Uid == known.Uid)
            {
                var now = current[j++];
                if (now.Flags != known.Flags || !now.Keywords.SequenceEqual(known.Keywords))
                {
                    changed.Add(view.Count);
                }

                view.Add(now);
            }
            else if (allowExpunge)
            {
                expunged.Add(i + 1);
            }
            else
            {
                // Gone, but the client may not be told yet: it keeps its number until then.
                _expungesPending = true;
                view.Add(known);
            }
        }

        if (allowExpunge)
        {
            _expungesPending = false;
        }

        var highest = view.Count == 0 ? 0 : view[^1].Uid;
        var added = 0;
        for (; j < current.Count; j++)
        {
            if (current[j].Uid > highest)
            {
                view.Add(current[j]);
                added++;
            }
        }

        AnnounceKeywords(changed.Select(i => view[i]).Concat(view.Skip(view.Count - added)).SelectMany(m => m.Keywords), write);

        if (Vanished && expunged.Count > 0)
        {
            // RFC 7162 §3.2.10: one VANISHED with the UIDs instead of an EXPUNGE each.
            write("* VANISHED " + ImapSession.FormatRanges(ImapSession.Runs(expunged.Select(sequence => _view[sequence - 1].Uid))));
        }
        else
        {
            // Highest first, so that each number is still right when the client applies it.
            for (var k = expunged.Count - 1; k >= 0; k--)
            {
                write($"* {expunged[k].ToString(CultureInfo.InvariantCulture)} EXPUNGE");
            }
        }

        _view = view;
        _recent.IntersectWith(view.Select(m => m.Uid));
        // EXPUNGE lowers the count by itself (RFC 3501 §7.4.1); EXISTS is for new messages.
        if (added > 0)
        {
            write($"* {view.Count.ToString(CultureInfo.InvariantCulture)} EXISTS");
        }

        // With new messages only, as Dovecot does: an EXPUNGE takes its message's \Recent along without a word.
        if (added > 0 && !HidesRecent)
        {
            write($"* {_recent.Count.ToString(CultureInfo.InvariantCulture)} RECENT");
        }

        foreach (var index in changed)
        {
            var message = view[index];
            write($"* {(index + 1).ToString(CultureInfo.InvariantCulture)} FETCH (UID {message.Uid.ToString(CultureInfo.InvariantCulture)} FLAGS {ImapFlags.Format(message, IsRecent(message.Uid))}{ModSeqItem(message)})");
        }
    }

    private int FirstIndexAtLeast(uint uid)
    {
        int low = 0, high = _view.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (_view[mid].Uid < uid)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
