using System.Globalization;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// A Maildir file name: <c>&lt;base&gt;[:2,&lt;flags&gt;]</c>, where the base is unique and may carry
/// <c>,S=&lt;file size&gt;</c> and <c>,W=&lt;RFC 822 size&gt;</c> (Maildir++ and Dovecot), and the flags
/// are the system letters <c>DFPRST</c> followed by Dovecot keyword letters <c>a</c>–<c>z</c>, sorted.
/// </summary>
public readonly record struct MaildirFileName(string BaseName, MessageFlags Flags, string KeywordLetters)
{
    private const string InfoSeparator = ":2,";
    private static long _sequence;

    /// <summary>The file size from <c>,S=</c>, if the base carries one.</summary>
    public long? Size => Field(BaseName, 'S');

    /// <summary>The size with CRLF line ends from <c>,W=</c>, if the base carries one.</summary>
    public long? VirtualSize => Field(BaseName, 'W');

    /// <summary>The name in <c>cur/</c>: base plus <c>:2,</c> and the flag letters.</summary>
    public string CurName => BaseName + InfoSeparator + FlagLetters(Flags) + KeywordLetters;

    public static MaildirFileName Parse(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var info = fileName.LastIndexOf(InfoSeparator, StringComparison.Ordinal);
        if (info < 0)
        {
            return new MaildirFileName(fileName, MessageFlags.None, string.Empty);
        }

        var flags = MessageFlags.None;
        var keywords = new StringBuilder();
        foreach (var letter in fileName.AsSpan(info + InfoSeparator.Length))
        {
            switch (letter)
            {
                case 'D': flags |= MessageFlags.Draft; break;
                case 'F': flags |= MessageFlags.Flagged; break;
                case 'P': flags |= MessageFlags.Passed; break;
                case 'R': flags |= MessageFlags.Answered; break;
                case 'S': flags |= MessageFlags.Seen; break;
                case 'T': flags |= MessageFlags.Deleted; break;
                case >= 'a' and <= 'z':
                    if (keywords.ToString().IndexOf(letter, StringComparison.Ordinal) < 0)
                    {
                        keywords.Append(letter);
                    }

                    break;
            }
        }

        var sorted = keywords.ToString().ToCharArray();
        Array.Sort(sorted);
        return new MaildirFileName(fileName[..info], flags, new string(sorted));
    }

    public MaildirFileName WithFlags(MessageFlags flags, string keywordLetters)
    {
        var sorted = keywordLetters.Distinct().Where(c => c is >= 'a' and <= 'z').ToArray();
        Array.Sort(sorted);
        return this with { Flags = flags, KeywordLetters = new string(sorted) };
    }

    /// <summary>The system flag letters in ASCII order, as the Maildir specification requires.</summary>
    public static string FlagLetters(MessageFlags flags)
    {
        var letters = new StringBuilder(6);
        if (flags.HasFlag(MessageFlags.Draft))
        {
            letters.Append('D');
        }

        if (flags.HasFlag(MessageFlags.Flagged))
        {
            letters.Append('F');
        }

        if (flags.HasFlag(MessageFlags.Passed))
        {
            letters.Append('P');
        }

        if (flags.HasFlag(MessageFlags.Answered))
        {
            letters.Append('R');
        }

        if (flags.HasFlag(MessageFlags.Seen))
        {
            letters.Append('S');
        }

        if (flags.HasFlag(MessageFlags.Deleted))
        {
            letters.Append('T');
        }

        return letters.ToString();
    }

    /// <summary>
    /// A new unique base, <c>&lt;secs&gt;.M&lt;usec&gt;P&lt;pid&gt;Q&lt;n&gt;.&lt;host&gt;</c>, as Dovecot makes them;
    /// '/' and ':' in the host name are written as <c>\057</c> and <c>\072</c> (Maildir specification).
    /// </summary>
    public static string NewUniqueBase(string hostName, DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        var microseconds = (now.Ticks % TimeSpan.TicksPerSecond) / 10;
        var sequence = Interlocked.Increment(ref _sequence);
        var host = hostName.Replace("/", "\\057", StringComparison.Ordinal).Replace(":", "\\072", StringComparison.Ordinal);
        return string.Create(CultureInfo.InvariantCulture,
            $"{seconds}.M{microseconds}P{Environment.ProcessId}Q{sequence}.{host}");
    }

    /// <summary>
    /// Orders base names by delivery time: the leading seconds, then the <c>M&lt;usec&gt;</c> and
    /// <c>Q&lt;n&gt;</c> numbers compared as numbers (not as text: "M99" comes before "M100"), then the text.
    /// </summary>
    public static IComparer<string> DeliveryOrder { get; } = Comparer<string>.Create(CompareDeliveryOrder);

    private static int CompareDeliveryOrder(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return string.CompareOrdinal(x, y);
        }

        var byTime = Key(x).CompareTo(Key(y));
        return byTime != 0 ? byTime : string.CompareOrdinal(x, y);

        static (long Seconds, long Micros, long Sequence) Key(string name) =>
            (Number(name, 0), Field(name, ".M"), Field(name, "Q"));

        static long Field(string name, string marker)
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            var at = dot < 0 ? -1 : name.IndexOf(marker, dot, StringComparison.Ordinal);
            return at < 0 ? 0 : Number(name, at + marker.Length);
        }

        static long Number(string text, int start)
        {
            long value = 0;
            for (var i = start; i < text.Length && char.IsAsciiDigit(text[i]) && value < long.MaxValue / 10; i++)
            {
                value = (value * 10) + (text[i] - '0');
            }

            return value;
        }
    }

    /// <summary>Appends <c>,S=</c> and <c>,W=</c> to a unique base.</summary>
    public static string WithSizes(string uniqueBase, long size, long virtualSize) =>
        string.Create(CultureInfo.InvariantCulture, $"{uniqueBase},S={size},W={virtualSize}");

    private static long? Field(string baseName, char key)
    {
        var marker = "," + key + "=";
        var start = baseName.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += marker.Length;
        var end = start;
        while (end < baseName.Length && char.IsAsciiDigit(baseName[end]))
        {
            end++;
        }

        return long.TryParse(baseName.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
    }
}
