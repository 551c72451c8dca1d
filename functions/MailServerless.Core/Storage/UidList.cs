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

    private UidList(uint uidValidity, uint headerNextUid, string guid, List<UidRecord> records, bool damaged)
    {
        UidValidity = uidValidity;
        _records = records;
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

    public static UidList CreateNew(uint uidValidity) =>
        new(uidValidity, 1, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), [], damaged: false);

    /// <summary>Reads the file; null when it does not exist.</summary>
    public static UidList? Load(string folderPath, Func<uint> newUidValidity)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(folderPath, FileName), Encoding.UTF8);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        return Parse(text, newUidValidity);
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
            added.Add(record);
        }

        return added;
    }

    /// <summary>Drops the records whose files are gone (their UIDs are never reused).</summary>
    public int RemoveWhere(Func<UidRecord, bool> gone) => _records.RemoveAll(r => gone(r));

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
        var temp = Path.Combine(folderPath, "tmp", FileName + "." + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            file.Write(Encoding.UTF8.GetBytes(Serialize()));
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, Path.Combine(folderPath, FileName), overwrite: true);
    }

    /// <summary>Appends records after the header, as Dovecot does for new mail.</summary>
    public static void Append(string folderPath, IEnumerable<UidRecord> records)
    {
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(record.Uid.ToString(CultureInfo.InvariantCulture)).Append(" :").Append(record.BaseName).Append('\n');
        }

        using var file = new FileStream(Path.Combine(folderPath, FileName), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        file.Write(Encoding.UTF8.GetBytes(text.ToString()));
        file.Flush(flushToDisk: true);
    }
}
