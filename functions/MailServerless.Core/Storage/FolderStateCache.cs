using System.Collections.Concurrent;

namespace MailServerless.Core.Storage;

/// <summary>What a <see cref="MaildirFolder"/> knew after a sync: UID list, messages, listings with their times.</summary>
internal sealed record FolderState(
    (DateTime Time, long Length) UidListStamp, UidList UidList, List<MaildirMessage> Messages, Dictionary<uint, int> IndexByUid,
    KeywordList Keywords, MaildirFolder.DirectoryListing New, MaildirFolder.DirectoryListing Cur, FolderIndex Index)
{
    public int Size => Messages.Count;
}

/// <summary>
/// The last known state of recently opened folders, shared by this process's sessions: opening a folder
/// again (a client's next SELECT, a phone and a desktop) starts from it and syncs only what changed on
/// disk since, as Dovecot's index files spare it a rescan. Entries are copies, never shared with a folder;
/// at most <see cref="MaxMessages"/> messages are held in all, the least recently stored dropped first.
/// </summary>
public sealed class FolderStateCache(int maxMessages = 1_000_000)
{
    private readonly ConcurrentDictionary<string, (FolderState State, long Stamp)> _entries = new(StringComparer.Ordinal);
    private long _clock;
    private long _messages;

    public int MaxMessages => maxMessages;

    internal FolderState? Get(string path) => _entries.TryGetValue(path, out var entry) ? entry.State : null;

    internal void Put(string path, FolderState state)
    {
        if (state.Size > maxMessages)
        {
            return;
        }

        var stamp = Interlocked.Increment(ref _clock);
        _entries.AddOrUpdate(path,
            _ => { Interlocked.Add(ref _messages, state.Size); return (state, stamp); },
            (_, old) => { Interlocked.Add(ref _messages, state.Size - old.State.Size); return (state, stamp); });
        while (Interlocked.Read(ref _messages) > maxMessages && !_entries.IsEmpty)
        {
            var oldest = _entries.MinBy(e => e.Value.Stamp);
            if (_entries.TryRemove(oldest.Key, out var removed))
            {
                Interlocked.Add(ref _messages, -removed.State.Size);
            }
        }
    }
}
