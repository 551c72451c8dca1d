using System.Globalization;

namespace MailServerless.EdgeServer.Imap.Parsing;

/// <summary>
/// An RFC 3501 §9 sequence-set (<c>1:4,7,9:*</c>) over message sequence numbers or UIDs. Ranges are kept
/// as pairs, never expanded, so <c>1:4294967295</c> costs nothing; <c>*</c> stands for the largest
/// number in use, and <c>n:m</c> equals <c>m:n</c>.
/// </summary>
public sealed class SequenceSet
{
    private const uint Star = 0;
    private readonly List<(uint From, uint To)> _ranges;

    private SequenceSet(List<(uint, uint)> ranges) => _ranges = ranges;

    /// <summary>
    /// "$" (RFC 5182 SEARCHRES): the result the last SEARCH saved, which only the selected folder knows; each user
    /// of a set asks <see cref="IsSaved"/> and looks there (it matches nothing by number).
    /// </summary>
    public bool IsSaved { get; private init; }

    /// <summary>Anything invalid is a syntax error.</summary>
    public static SequenceSet Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ranges = new List<(uint, uint)>();
        if (text == "$")
        {
            return new SequenceSet(ranges) { IsSaved = true };
        }

        if (text.Length == 0)
        {
            throw new ImapSyntaxException("Invalid sequence set.");
        }

        foreach (var part in text.Split(','))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                var n = Number(part);
                ranges.Add((n, n));
            }
            else
            {
                ranges.Add((Number(part[..colon]), Number(part[(colon + 1)..])));
            }
        }

        return new SequenceSet(ranges);
    }

    public static bool TryParse(string text, out SequenceSet? set)
    {
        try
        {
            set = Parse(text);
            return true;
        }
        catch (ImapSyntaxException)
        {
            set = null;
            return false;
        }
    }

    /// <summary>True when <paramref name="value"/> is in the set, with <c>*</c> as <paramref name="largest"/>.</summary>
    public bool Contains(uint value, uint largest)
    {
        foreach (var (from, to) in _ranges)
        {
            var a = from == Star ? largest : from;
            var b = to == Star ? largest : to;
            if (value >= Math.Min(a, b) && value <= Math.Max(a, b))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the message (its number in this set's kind, and its UID) is in the set: by number, or for "$" by UID
    /// in <paramref name="saved"/>, the selected folder's saved result.
    /// </summary>
    public bool Includes(uint number, uint largest, uint uid, IReadOnlySet<uint>? saved) =>
        IsSaved ? saved?.Contains(uid) == true : Contains(number, largest);

    /// <summary>The ranges with <c>*</c> resolved, each low to high.</summary>
    public IEnumerable<(uint Low, uint High)> Ranges(uint largest) =>
        _ranges.Select(r => (r.From == Star ? largest : r.From, r.To == Star ? largest : r.To))
            .Select(r => (Math.Min(r.Item1, r.Item2), Math.Max(r.Item1, r.Item2)));

    private static uint Number(string text)
    {
        if (text == "*")
        {
            return Star;
        }

        // nz-number: no leading zero, 1 .. 2^32-1.
        if (text.Length == 0 || text[0] == '0' || !text.All(char.IsAsciiDigit) ||
            !uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new ImapSyntaxException("Invalid sequence set.");
        }

        return value;
    }
}
