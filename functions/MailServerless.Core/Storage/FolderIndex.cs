using System.Globalization;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// The folder's own index, <c>msl-index</c> beside Dovecot's files (which it never touches, and Dovecot ignores it):
/// for each UID the mod-sequence of its last flag change (RFC 7162 CONDSTORE) with the flags it was given for, the
/// UIDs expunged with theirs (for QRESYNC's VANISHED), and HIGHESTMODSEQ.
/// <para>
/// The file is a log: a header line, then one line per change, appended under <c>msl-index.lock</c>; every line ends
/// in a checksum, and it is rewritten whole when the log has grown well past what it describes. It is never needed
/// for correctness: missing, torn or from another UIDVALIDITY, it is rebuilt from the Maildir with the same UIDs (they
/// live in <c>dovecot-uidlist</c>). Mod-sequences must not go backwards across a rebuild, and a lost index cannot say
/// how far it had gone, so a new index starts at the clock in microseconds: every later change adds one, and a
/// change a second would have to outrun the clock a million times over to be caught up by a later rebuild.
/// </para>
/// </summary>
internal sealed class FolderIndex
{
    public const string FileName = "msl-index";

    /// <summary>Expunges remembered one by one for VANISHED; older ones are summed up by <see cref="ExpungedFloor"/>.</summary>
    internal const int MaxExpunged = 50_000;

    private const string Magic = "MSLINDEX";

    private Dictionary<uint, (ulong ModSeq, string Flags)> _entries = [];
    private List<(uint Uid, ulong ModSeq)> _expunged = [];
    private string _generation = string.Empty;
    private long _length;
    private (DateTime Time, long Length) _stamp;
    private int _lines;
    private readonly HashSet<uint> _touched = [];
    private bool _touchedAll = true;

    public uint UidValidity { get; private set; }

    public ulong HighestModSeq { get; private set; }

    /// <summary>Expunges at or below this mod-sequence are no longer listed one by one.</summary>
    public ulong ExpungedFloor { get; private set; }

    /// <summary>The file was missing, damaged or for another UIDVALIDITY when last read: it must be written anew.</summary>
    public bool NeedsRewrite { get; private set; } = true;

    public IReadOnlyList<(uint Uid, ulong ModSeq)> Expunged => _expunged;

    public FolderIndex Clone() => new()
    {
        _entries = new Dictionary<uint, (ulong, string)>(_entries),
        _expunged = [.. _expunged],
        _generation = _generation,
        _length = _length,
        _stamp = _stamp,
        _lines = _lines,
        _touchedAll = true,
        UidValidity = UidValidity,
        HighestModSeq = HighestModSeq,
        ExpungedFloor = ExpungedFloor,
        NeedsRewrite = NeedsRewrite,
    };

    /// <summary>
    /// Forgets what is in memory (records a failed write left there): the next <see cref="Refresh"/> reads the file
    /// whole, keeping <see cref="HighestModSeq"/> as a floor so that no mod-sequence handed out is handed out again.
    /// </summary>
    public void Invalidate()
    {
        NeedsRewrite = true;
        _stamp = default;
    }

    /// <summary>The mod-sequence recorded for a message, when it was recorded for these flags.</summary>
    public ulong? ModSeqFor(uint uid, string flags) =>
        _entries.TryGetValue(uid, out var entry) && entry.Flags == flags ? entry.ModSeq : null;

    public bool Knows(uint uid) => _entries.ContainsKey(uid);

    /// <summary>
    /// Hands over which UIDs the file changed since the last call: their mod-sequences must be looked at again. Null
    /// for all of them (the file was read whole).
    /// </summary>
    public IReadOnlyCollection<uint>? TakeTouched()
    {
        if (_touchedAll)
        {
            _touchedAll = false;
            _touched.Clear();
            return null;
        }

        var touched = _touched.ToList();
        _touched.Clear();
        return touched;
    }

    public IEnumerable<uint> Uids => _entries.Keys;

    /// <summary>The flags part of a file name as the index keeps it: the flag and keyword letters, "-" for none.</summary>
    public static string FlagsOf(MaildirMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var name = message.Name;
        var letters = MaildirFileName.FlagLetters(name.Flags) + name.KeywordLetters;
        return letters.Length == 0 ? "-" : letters;
    }

    /// <summary>
    /// Brings the in-memory copy up to date with the file: nothing when it did not change, the appended lines when it
    /// grew, all of it when it was replaced. A file for another UIDVALIDITY, or one that cannot be read, is dropped.
    /// </summary>
    public void Refresh(string folderPath, uint uidValidity)
    {
        var path = Path.Combine(folderPath, FileName);
        var info = new FileInfo(path);
        var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
        if (stamp == _stamp && UidValidity == uidValidity && !NeedsRewrite)
        {
            return;
        }

        _stamp = stamp;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (!NeedsRewrite && UidValidity == uidValidity && _length > 0 && file.Length >= _length)
            {
                // The same file grown: only its header (for the generation) and what was appended are read.
                var head = new byte[(int)Math.Min(_length, 256)];
                file.ReadExactly(head);
                if (SameGeneration(head))
                {
                    file.Position = _length;
                    var tail = new byte[file.Length - _length];
                    file.ReadExactly(tail);
                    ReadLines(tail, 0, _length);
                    return;
                }

                file.Position = 0;
            }

            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            Load(bytes, uidValidity);
        }
        catch (Exception e) when (e is FileNotFoundException or EndOfStreamException)
        {
            Load([], uidValidity);
        }
    }

    private bool SameGeneration(byte[] bytes)
    {
        var end = Array.IndexOf(bytes, (byte)'\n');
        return end > 0 && Header.TryParse(Encoding.ASCII.GetString(bytes, 0, end), out var header) && header.Generation == _generation;
    }

    private void Load(byte[] bytes, uint uidValidity)
    {
        _touchedAll = true;
        var highestSeen = HighestModSeq;
        _entries = [];
        _expunged = [];
        _lines = 0;
        _length = 0;
        var end = Array.IndexOf(bytes, (byte)'\n');
        if (end > 0 && Header.TryParse(Encoding.ASCII.GetString(bytes, 0, end), out var header) && header.UidValidity == uidValidity)
        {
            _generation = header.Generation;
            UidValidity = uidValidity;
            HighestModSeq = header.HighestModSeq;
            ExpungedFloor = header.ExpungedFloor;
            _length = end + 1;
            NeedsRewrite = false;
            if (ReadLines(bytes, end + 1, 0))
            {
                // Never below what this process handed out (a write that failed, see Invalidate).
                HighestModSeq = Math.Max(HighestModSeq, highestSeen);
                return;
            }

            highestSeen = Math.Max(highestSeen, HighestModSeq);
        }
        else if (end > 0 && Header.TryParse(Encoding.ASCII.GetString(bytes, 0, end), out var other))
        {
            highestSeen = Math.Max(highestSeen, other.HighestModSeq);
        }

        // Start afresh, above anything this index or this process ever handed out (see the class comment).
        _entries = [];
        _expunged = [];
        _lines = 0;
        _length = 0;
        _generation = NewGeneration();
        UidValidity = uidValidity;
        HighestModSeq = Math.Max(highestSeen, ClockModSeq());
        ExpungedFloor = HighestModSeq;
        NeedsRewrite = true;
    }

    /// <summary>
    /// Applies the complete lines of <paramref name="bytes"/> from <paramref name="start"/> on (the bytes begin at
    /// <paramref name="fileOffset"/> in the file); false when one is damaged.
    /// </summary>
    private bool ReadLines(byte[] bytes, int start, long fileOffset)
    {
        var position = start;
        while (position < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', position);
            if (end < 0)
            {
                break; // a line still being written, or the debris of a crash: ignored, rewritten under the lock
            }

            if (!ApplyLine(Encoding.ASCII.GetString(bytes, position, end - position)))
            {
                return false;
            }

            position = end + 1;
            _lines++;
        }

        _length = fileOffset + position;
        return true;
    }

    private bool ApplyLine(string line)
    {
        if (!Checksum.TryStrip(line, out var body))
        {
            NeedsRewrite = true;
            return false;
        }

        var fields = body.Split(' ');
        if (fields is ["x", var u, var m] && Parse(u, out uint uid) && Parse(m, out ulong expungedAt))
        {
            _entries.Remove(uid);
            _expunged.Add((uid, expungedAt));
            _touched.Add(uid);
            HighestModSeq = Math.Max(HighestModSeq, expungedAt);
            return true;
        }

        if (fields is [var id, var seq, var flags] && Parse(id, out uint messageUid) && Parse(seq, out ulong modSeq) && flags.Length > 0)
        {
            _entries[messageUid] = (modSeq, flags);
            _touched.Add(messageUid);
            HighestModSeq = Math.Max(HighestModSeq, modSeq);
            return true;
        }

        NeedsRewrite = true;
        return false;
    }

    /// <summary>Records new flags for a message under the next mod-sequence; returns it. Call <see cref="WriteAsync"/> after.</summary>
    public ulong Record(uint uid, string flags, List<string> pending)
    {
        var modSeq = ++HighestModSeq;
        _entries[uid] = (modSeq, flags);
        pending.Add(Checksum.Append(string.Create(CultureInfo.InvariantCulture, $"{uid} {modSeq} {flags}")));
        return modSeq;
    }

    /// <summary>Records an expunge under the next mod-sequence.</summary>
    public void RecordExpunge(uint uid, List<string> pending)
    {
        var modSeq = ++HighestModSeq;
        _entries.Remove(uid);
        _expunged.Add((uid, modSeq));
        pending.Add(Checksum.Append(string.Create(CultureInfo.InvariantCulture, $"x {uid} {modSeq}")));
    }

    /// <summary>
    /// Writes what was recorded (the caller holds the lock): appended to the log, or the whole index anew when the
    /// file must be replaced or the log has grown to twice what it describes.
    /// </summary>
    public void Write(string folderPath, List<string> pending)
    {
        var path = Path.Combine(folderPath, FileName);
        // A torn last line (a crash mid-append) would swallow the next one: such a file is written anew.
        var torn = new FileInfo(path) is { Exists: true } existing && existing.Length != _length;
        if (NeedsRewrite || torn || _lines + pending.Count > 2 * (_entries.Count + Math.Min(_expunged.Count, MaxExpunged)) + 1024)
        {
            Rewrite(folderPath);
        }
        else if (pending.Count > 0)
        {
            var text = Encoding.ASCII.GetBytes(string.Join('\n', pending) + "\n");
            using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            {
                file.Write(text);
            }

            _length += text.Length;
            _lines += pending.Count;
        }

        pending.Clear();
        var info = new FileInfo(path);
        _stamp = (info.LastWriteTimeUtc, info.Length);
    }

    private void Rewrite(string folderPath)
    {
        if (_expunged.Count > MaxExpunged)
        {
            var dropped = _expunged.Count - MaxExpunged;
            ExpungedFloor = Math.Max(ExpungedFloor, _expunged.Take(dropped).Max(e => e.ModSeq));
            _expunged.RemoveRange(0, dropped);
        }

        _generation = NewGeneration();
        var text = new StringBuilder();
        text.Append(Checksum.Append(new Header(_generation, UidValidity, HighestModSeq, ExpungedFloor).ToString())).Append('\n');
        foreach (var (uid, (modSeq, flags)) in _entries.OrderBy(e => e.Key))
        {
            text.Append(Checksum.Append(string.Create(CultureInfo.InvariantCulture, $"{uid} {modSeq} {flags}"))).Append('\n');
        }

        foreach (var (uid, modSeq) in _expunged)
        {
            text.Append(Checksum.Append(string.Create(CultureInfo.InvariantCulture, $"x {uid} {modSeq}"))).Append('\n');
        }

        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        AtomicFile.Replace(Path.Combine(folderPath, FileName), Path.Combine(folderPath, "tmp"), bytes);
        _length = bytes.Length;
        _lines = _entries.Count + _expunged.Count;
        NeedsRewrite = false;
    }

    /// <summary>The UIDs expunged after <paramref name="modSeq"/>; null when the index no longer remembers that far back.</summary>
    public IReadOnlyList<uint>? ExpungedSince(ulong modSeq) =>
        modSeq < ExpungedFloor ? null : _expunged.Where(e => e.ModSeq > modSeq).Select(e => e.Uid).Order().ToList();

    private static ulong ClockModSeq() => (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);

    private static string NewGeneration() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    private static bool Parse(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool Parse(string text, out ulong value) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private readonly record struct Header(string Generation, uint UidValidity, ulong HighestModSeq, ulong ExpungedFloor)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Magic} 1 {Generation} {UidValidity} {HighestModSeq} {ExpungedFloor}");

        public static bool TryParse(string line, out Header header)
        {
            header = default;
            if (!Checksum.TryStrip(line, out var body) || body.Split(' ') is not [Magic, "1", var generation, var v, var h, var f] ||
                !Parse(v, out uint validity) || !Parse(h, out ulong highest) || !Parse(f, out ulong floor))
            {
                return false;
            }

            header = new Header(generation, validity, highest, floor);
            return true;
        }
    }

    /// <summary>An FNV-1a checksum closing each line, so a torn or scribbled line is told from a good one.</summary>
    private static class Checksum
    {
        public static string Append(string body) => body + " #" + Of(body).ToString("x8", CultureInfo.InvariantCulture);

        public static bool TryStrip(string line, out string body)
        {
            body = string.Empty;
            var mark = line.LastIndexOf(" #", StringComparison.Ordinal);
            if (mark < 0 || !uint.TryParse(line.AsSpan(mark + 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var sum) ||
                line.Length - mark - 2 != 8 || Of(line[..mark]) != sum)
            {
                return false;
            }

            body = line[..mark];
            return true;
        }

        private static uint Of(string text)
        {
            var hash = 2166136261u;
            foreach (var c in text)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return hash;
        }
    }
}
