using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>One <c>dovecot-uidlist</c> record: a UID, Dovecot's extension fields, and the file's base name.</summary>
public sealed record UidRecord(uint Uid, string BaseName, string Extensions = "");

/// <summary>
/// Dovecot's <c>dovecot-uidlist</c>, version 3: a header <c>3 V&lt;uidvalidity&gt; N&lt;next uid&gt; G&lt;guid&gt;</c>,
/// then <c>&lt;uid&gt; [&lt;extension fields&gt;] :&lt;base name&gt;</c> per message in UID order. Records may be
/// appended after the header; the next UID is then past the last record. Reading is tolerant:
/// a bad record is skipped and reported, the UIDs that can be read are kept, and a UID is never
/// handed out twice.
/// </summary>
public sealed class UidList
{
    public const string FileName = "dovecot-uidlist";

    private readonly List<UidRecord> _records;
    private readonly Dictionary<string, UidRecord> _byBase;

    private UidList(uint uidValidity, uint headerNextUid, string guid, List<UidRecord> records, bool damaged)
    {
        UidValidity = uidValidity;
        _records = records;
        _byBase = records.ToDictionary(r => r.BaseName, StringComparer.Ordinal);
        MailboxGuid = guid;
        Damaged = damaged;
        var last = records.Count > 0 ? records[^1].Uid : 0;
        NextUid = Math.Max(headerNextUid, last + 1);
    }

    public uint UidValidity { get; }

    public uint NextUid { get; private set; }

    /// <summary>The mailbox GUID (32 hex digits), kept as Dovecot wrote it.</summary>
    public string MailboxGuid { get; }

    /// <summary>True when some of the file could not be read (it is rewritten on the next change).</summary>
    public bool Damaged { get; }

    public IReadOnlyList<UidRecord> Records => _records;

    /// <summary>The first line as read, and how many bytes of the file were read (whole lines only).</summary>
    private string _headerLine = string.Empty;
    private long _length;

    public UidRecord? RecordFor(string baseName) => _byBase.GetValueOrDefault(baseName);

    /// <summary>The file ended in a line without its newline (a writer at work, or debris of a crash).</summary>
    public bool HasPartialTail { get; private set; }

    /// <summary>An independent copy (the folder-state cache hands one to each folder it restores).</summary>
    public UidList Clone() =>
        new(UidValidity, NextUid, MailboxGuid, [.. _records], Damaged)
        {
            _headerLine = _headerLine,
            _length = _length,
            HasPartialTail = HasPartialTail,
        };

    public static UidList CreateNew(uint uidValidity) =>
        new(uidValidity, 1, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), [], damaged: false);

    /// <summary>Reads the file; null when it does not exist.</summary>
    public static UidList? Load(string folderPath, Func<uint> newUidValidity)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path.Combine(folderPath, FileName));
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        // A line still being appended by another process is not read yet.
        var complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        var text = Encoding.UTF8.GetString(bytes, 0, complete);
        var list = Parse(text, newUidValidity);
        list._length = complete;
        list.HasPartialTail = complete < bytes.Length;
        list._headerLine = text.Split('\n', 2)[0];
        return list;
    }

    public static UidList Parse(string text, Func<uint> newUidValidity)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        var damaged = false;
        uint validity = 0, next = 1;
        var guid = string.Empty;

        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (header is ["3", ..])
        {
            foreach (var field in header.Skip(1))
            {
                switch (field[0])
                {
                    case 'V': _ = uint.TryParse(field.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out validity); break;
                    case 'N': _ = uint.TryParse(field.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out next); break;
                    case 'G': guid = field[1..]; break;
                }
            }
        }
        else
        {
            damaged = true;
        }

        ArgumentNullException.ThrowIfNull(newUidValidity);
        if (validity == 0)
        {
            // Without a UIDVALIDITY the UIDs below cannot be trusted by clients: start a new one.
            damaged = true;
            validity = newUidValidity();
        }

        if (guid.Length != 32 || !guid.All(char.IsAsciiHexDigit))
        {
            guid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }

        var records = new List<UidRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        uint lastUid = 0;
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(" :", StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (colon < 0 || space < 0 ||
                !uint.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ||
                uid <= lastUid || !seen.Add(line[(colon + 2)..]) || colon + 2 >= line.Length)
            {
                damaged = true;
                continue;
            }

            var extensions = colon > space ? line[(space + 1)..colon] : string.Empty;
            records.Add(new UidRecord(uid, line[(colon + 2)..], extensions));
            lastUid = uid;
        }

        return new UidList(validity, next, guid, records, damaged);
    }

    /// <summary>Gives the next UIDs to these base names, in order; returns the new records.</summary>
    public IReadOnlyList<UidRecord> Assign(IEnumerable<string> baseNames)
    {
        var added = new List<UidRecord>();
        foreach (var name in baseNames)
        {
            var record = new UidRecord(NextUid++, name);
            _records.Add(record);
            _byBase[name] = record;
            added.Add(record);
        }

        return added;
    }

    /// <summary>Drops the records whose files are gone (their UIDs are never reused).</summary>
    public int RemoveWhere(Func<UidRecord, bool> gone)
    {
        foreach (var record in _records.Where(gone).ToList())
        {
            _byBase.Remove(record.BaseName);
        }

        return _records.RemoveAll(r => gone(r));
    }

    /// <summary>
    /// Reads the records appended to the file since it was loaded, so a sync costs what is new.
    /// False when the file was replaced (rewritten), shrank, or holds something unexpected: load it again.
    /// </summary>
    public bool TryReadAppended(string folderPath)
    {
        if (_length == 0)
        {
            return false;
        }

        byte[] tail;
        try
        {
            using var file = new FileStream(Path.Combine(folderPath, FileName), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length < _length)
            {
                return false;
            }

            var head = new byte[Math.Min(_headerLine.Length * 4 + 1, file.Length)];
            file.ReadExactly(head);
            var firstLine = Encoding.UTF8.GetString(head).Split('\n', 2)[0];
            if (firstLine != _headerLine)
            {
                return false;
            }

            // What was read must still end a line here; otherwise the file was rewritten.
            file.Position = _length - 1;
            if (file.ReadByte() != '\n')
            {
                return false;
            }

            tail = new byte[file.Length - _length];
            file.ReadExactly(tail);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        var complete = Array.LastIndexOf(tail, (byte)'\n') + 1;
        var last = _records.Count > 0 ? _records[^1].Uid : 0;
        var added = new List<UidRecord>();
        foreach (var line in Encoding.UTF8.GetString(tail, 0, complete).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(" :", StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (colon < 0 || !uint.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ||
                uid <= last || _byBase.ContainsKey(line[(colon + 2)..]))
            {
                return false;
            }

            added.Add(new UidRecord(uid, line[(colon + 2)..], colon > space ? line[(space + 1)..colon] : string.Empty));
            last = uid;
        }

        foreach (var record in added)
        {
            _records.Add(record);
            _byBase[record.BaseName] = record;
        }

        _length += complete;
        NextUid = Math.Max(NextUid, last + 1);
        return true;
    }

    public string Serialize()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"3 V{UidValidity} N{NextUid} G{MailboxGuid}\n");
        foreach (var record in _records)
        {
            text.Append(record.Uid.ToString(CultureInfo.InvariantCulture));
            if (record.Extensions.Length > 0)
            {
                text.Append(' ').Append(record.Extensions);
            }

            text.Append(" :").Append(record.BaseName).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Writes the whole file atomically (temporary file, fsync, rename).</summary>
    public void Save(string folderPath)
    {
        var text = Serialize();
        var bytes = Encoding.UTF8.GetBytes(text);
        AtomicFile.Replace(Path.Combine(folderPath, FileName), Path.Combine(folderPath, "tmp"), bytes, durable: true);
        HasPartialTail = false;
        _length = bytes.Length;
        _headerLine = text.Split('\n', 2)[0];
    }

    /// <summary>
    /// Appends records after the header, as Dovecot does for new mail. Called under the lock, right
    /// after <see cref="TryReadAppended"/>, so what was read still ends where the new lines start.
    /// </summary>
    /// <returns>False, writing nothing, when the file does not end where it was read (rewrite it instead).</returns>
    public bool Append(string folderPath, IEnumerable<UidRecord> records)
    {
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(record.Uid.ToString(CultureInfo.InvariantCulture)).Append(" :").Append(record.BaseName).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        using var file = new FileStream(Path.Combine(folderPath, FileName), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        if (_length == 0 || file.Length != _length)
        {
            return false;
        }

        file.Write(bytes);
        file.Flush(flushToDisk: true);
        _length += bytes.Length;
        return true;
    }
}
