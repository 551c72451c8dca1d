using System.Globalization;
using System.Text.RegularExpressions;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>Values of response codes in a command's answer: the first UIDVALIDITY and HIGHESTMODSEQ it carries.</summary>
internal static partial class ImapResponseCodes
{
    public static ulong HighestModSeq(IEnumerable<string> lines) =>
        ulong.Parse(First(lines, HighestModSeqCode()), CultureInfo.InvariantCulture);

    public static uint UidValidity(IEnumerable<string> lines) =>
        uint.Parse(First(lines, UidValidityCode()), CultureInfo.InvariantCulture);

    private static string First(IEnumerable<string> lines, Regex code) =>
        lines.Select(l => code.Match(l)).First(m => m.Success).Groups[1].Value;

    [GeneratedRegex(@"\[HIGHESTMODSEQ (\d+)\]")]
    private static partial Regex HighestModSeqCode();

    [GeneratedRegex(@"\[UIDVALIDITY (\d+)\]")]
    private static partial Regex UidValidityCode();
}
