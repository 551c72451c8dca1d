namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>
/// What MimeKit's parser is given in place of a stored message: the same octets, except that no logical line
/// (a line and the lines beginning with a space or tab that continue it) is longer than
/// <see cref="MaxLogicalLine"/>, and the top header section is at most <see cref="MaxTopHeader"/>; with the
/// map from the copy's offsets back to the message's. MimeKit's time for one header grows with the square of
/// its length (a folded 4 MB header took 33 s), and a Maildir may hold anything (Dovecot stores what it is
/// given), so each header costs at most what one of <see cref="MaxLogicalLine"/> octets does, and a parse
/// stays linear in the message's size. Nothing served is cut: sections and sizes are read from the message
/// through the map; only the values of headers past the caps are seen shortened, in ENVELOPE and
/// BODYSTRUCTURE. Made in one pass.
/// </summary>
public sealed class ParseCopy
{
    /// <summary>Far above any header a mail program writes (Postfix's whole header section is 100 KB at most).</summary>
    public const int MaxLogicalLine = 64 * 1024;

    /// <summary>The top header section parsed at most: ENVELOPE and the structure's top entity read no further.</summary>
    public const int MaxTopHeader = 1024 * 1024;

    /// <summary>Each cut: where it lies in the copy and the octets left out there.</summary>
    private readonly List<(int At, int Removed)> _cuts;

    private ParseCopy(byte[] bytes, List<(int At, int Removed)> cuts)
    {
        Bytes = bytes;
        _cuts = cuts;
    }

    public byte[] Bytes { get; }

    public bool IsCut => _cuts.Count > 0;

    /// <summary>The copy of <paramref name="message"/>; the message itself when nothing needs cutting.</summary>
    public static ParseCopy Of(byte[] message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var data = message.AsSpan();
        var cuts = new List<(int At, int Removed)>();
        var kept = new List<(int Start, int End)>();
        var copyLength = 0;
        var decided = 0; // the message's octets before this are kept or cut already
        var inTopHeader = true;
        var logicalLength = 0;
        var cutFrom = -1; // while cutting: where the cut began
        var cutToBlankLine = false; // the top header's cap: the cut runs to the end of the section
        var position = 0;
        while (position < data.Length)
        {
            var newline = data[position..].IndexOf((byte)'\n');
            var lineEnd = newline < 0 ? data.Length : position + newline + 1;
            var terminator = newline < 0 ? lineEnd : (newline > 0 && data[lineEnd - 2] == '\r' ? lineEnd - 2 : lineEnd - 1);
            var empty = terminator == position;
            var continues = !empty && data[position] is (byte)' ' or (byte)'\t';

            if (cutFrom >= 0)
            {
                if (cutToBlankLine ? !empty : continues)
                {
                    position = lineEnd;
                    continue;
                }

                // The cut ends before the line end of the last line it covers, so that no empty line is made.
                Cut(data, cutFrom, position >= 2 && data[position - 2] == '\r' ? position - 2 : position - 1);
            }

            if (!continues)
            {
                logicalLength = 0;
            }

            if (empty)
            {
                inTopHeader = false;
            }
            else
            {
                var roomTop = inTopHeader ? MaxTopHeader - position : int.MaxValue;
                var room = Math.Min(MaxLogicalLine - logicalLength, roomTop);
                if (room < terminator - position)
                {
                    // At least the line's first octet stays: a cut never turns a line into an empty one.
                    cutFrom = position + Math.Max(room, 1);
                    cutToBlankLine = roomTop < terminator - position;
                }
            }

            logicalLength += lineEnd - position;
            position = lineEnd;
        }

        if (cutFrom >= 0)
        {
            Cut(data, cutFrom, data.Length);
        }

        if (cuts.Count == 0)
        {
            return new ParseCopy(message, cuts);
        }

        kept.Add((decided, data.Length));
        var copy = new byte[copyLength + data.Length - decided];
        var offset = 0;
        foreach (var (start, end) in kept)
        {
            data[start..end].CopyTo(copy.AsSpan(offset));
            offset += end - start;
        }

        return new ParseCopy(copy, cuts);

        void Cut(ReadOnlySpan<byte> data, int from, int to)
        {
            kept.Add((decided, from));
            copyLength += from - decided;
            cuts.Add((copyLength, to - from));
            decided = to;
            cutFrom = -1;
        }
    }

    /// <summary>The message's offset for an offset in the copy (a cut point maps to its end: what follows it).</summary>
    public int ToMessage(long copyOffset)
    {
        var result = (int)copyOffset;
        foreach (var (at, removed) in _cuts)
        {
            if (at > copyOffset)
            {
                break;
            }

            result += removed;
        }

        return result;
    }
}
