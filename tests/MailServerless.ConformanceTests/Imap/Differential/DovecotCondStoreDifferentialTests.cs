using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap.Differential;

/// <summary>
/// CONDSTORE and QRESYNC side by side with Dovecot: the same Maildir (copied, one per server), the same three sessions,
/// each server given its own UIDVALIDITY and HIGHESTMODSEQ from the first. Mod-sequence values are each server's own
/// (ours start at the clock, see the index), so they compare as "N"; everything else, which messages and UIDs each
/// answer names and with which flags and response codes, must be the same.
/// </summary>
public sealed partial class DovecotCondStoreDifferentialTests : IAsyncLifetime
{
    /// <summary>Where the RFC lets the two answer differently, and why.</summary>
    private static readonly (string Why, Func<string, bool> Matches)[] AllowedDifferences =
    [
        ("STATUS on the selected mailbox: Dovecot adds the RFC 5530 code [CLIENTBUG] to its OK, as RFC 3501 §6.3.10 discourages the command; ours answers a plain OK",
            d => d.StartsWith("st\n", StringComparison.Ordinal) && d.Contains("st OK [CLIENTBUG]", StringComparison.Ordinal) &&
                d.Replace("st OK [CLIENTBUG]", "st OK", StringComparison.Ordinal) is var same && Lines(same) is [_, var theirs, var ours] &&
                theirs["  dovecot: ".Length..] == ours["  ours:    ".Length..]),
    ];

    private static string[] Lines(string difference) => difference.Split('\n');

    private MailServerInstance _server = null!;
    private string _dovecotRoot = null!;

    public async Task InitializeAsync()
    {
        _server = await MailServerInstance.StartAsync();
        _dovecotRoot = Path.Combine(Path.GetTempPath(), "msl-condstore-" + Guid.NewGuid().ToString("N"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (Directory.Exists(_dovecotRoot))
        {
            Directory.Delete(_dovecotRoot, recursive: true);
        }
    }

    [Fact]
    public async Task Condstore_and_qresync_sessions_answer_as_dovecots_do()
    {
        var ourRoot = _server.MaildirRoot("user5");
        foreach (var root in new[] { ourRoot, _dovecotRoot })
        {
            Directory.CreateDirectory(Path.Combine(root, "new"));
            Directory.CreateDirectory(Path.Combine(root, "tmp"));
            Directory.CreateDirectory(Path.Combine(root, "cur"));
            for (var i = 1; i <= 6; i++)
            {
                // Delivered: new mail, recent to the first SELECT on both servers.
                await File.WriteAllTextAsync(Path.Combine(root, "new", $"17900000{i:00}.M{i}P1.condstore"), DovecotMail.Message("message " + i));
            }
        }

        string[] first =
        [
            "e ENABLE CONDSTORE", "s SELECT INBOX", "t STORE 5 +FLAGS.SILENT (\\Seen)", "f FETCH 1:* (UID FLAGS MODSEQ)", "m SEARCH MODSEQ 1",
            "st STATUS INBOX (MESSAGES HIGHESTMODSEQ)",
        ];
        var (theirFirst, ourFirst) = (Dovecot(first), await OursAsync(first));
        var (theirV, theirH) = (ImapResponseCodes.UidValidity(theirFirst), ImapResponseCodes.HighestModSeq(theirFirst));
        var (ourV, ourH) = (ImapResponseCodes.UidValidity(ourFirst), ImapResponseCodes.HighestModSeq(ourFirst));

        // Changes by one session, each reported with its mod-sequence; conditional stores meet the changes.
        string[] Second(ulong h) =>
        [
            "e ENABLE QRESYNC", "s SELECT INBOX", "t1 STORE 2 +FLAGS (\\Seen)", $"t2 STORE 3 (UNCHANGEDSINCE {h}) +FLAGS.SILENT (\\Flagged)",
            $"t3 STORE 2:4 (UNCHANGEDSINCE {h}) -FLAGS (\\Seen)", $"t4 UID STORE 1:6 (UNCHANGEDSINCE {h}) +FLAGS.SILENT ($Work)",
            "t5 STORE 4 +FLAGS.SILENT (\\Deleted)", "x EXPUNGE", $"f FETCH 1:* (FLAGS) (CHANGEDSINCE {h})",
            $"u UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h} VANISHED)", $"q SEARCH MODSEQ {h + 1}", $"r UID SEARCH RETURN (ALL COUNT) MODSEQ {h + 1}",
            "v STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Answered)",
        ];
        var (theirSecond, ourSecond) = (Dovecot(Second(theirH)), await OursAsync(Second(ourH)));

        // A client that knew the folder at the first session's end catches up with QRESYNC.
        string[] Third(uint v, ulong h) =>
        [
            "e ENABLE QRESYNC", $"s SELECT INBOX (QRESYNC ({v} {h}))", $"k EXAMINE INBOX (QRESYNC ({v} {h} 1:3))",
            $"o SELECT INBOX (QRESYNC ({v + 1} {h}))", "c EXAMINE INBOX (CONDSTORE)",
        ];
        var (theirThird, ourThird) = (Dovecot(Third(theirV, theirH)), await OursAsync(Third(ourV, ourH)));

        var differences = new List<string>();
        foreach (var (theirs, ours) in new[] { (theirFirst, ourFirst), (theirSecond, ourSecond), (theirThird, ourThird) })
        {
            Compare(Normalize(theirs, theirV), Normalize(ours, ourV), differences);
        }

        var unexplained = differences.Where(d => !AllowedDifferences.Any(a => a.Matches(d))).ToList();
        Assert.True(unexplained.Count == 0, string.Join("\n", unexplained));
    }

    private static void Compare(List<string> theirs, List<string> ours, List<string> differences)
    {
        // "l": our LOGIN (Dovecot runs pre-authenticated).
        foreach (var tag in theirs.Select(Tag).Concat(ours.Select(Tag)).Where(t => t is not ("*" or "l")).Distinct())
        {
            var (their, mine) = (Answer(theirs, tag), Answer(ours, tag));
            if (their != mine)
            {
                differences.Add($"{tag}\n  dovecot: {their}\n  ours:    {mine}");
            }
        }
    }

    /// <summary>The untagged lines up to and with a command's tagged one (FLAGS/PERMANENTFLAGS/EXISTS left to the other tests).</summary>
    private static string Answer(List<string> lines, string tag)
    {
        var answer = new List<string>();
        foreach (var line in lines)
        {
            if (Tag(line) == tag)
            {
                answer.Add(line);
                return string.Join(" | ", answer);
            }

            if (Tag(line) != "*")
            {
                answer.Clear();
            }
            else if (!line.StartsWith("* FLAGS", StringComparison.Ordinal) && !line.Contains("PERMANENTFLAGS", StringComparison.Ordinal) &&
                !line.StartsWith("* CAPABILITY", StringComparison.Ordinal) && !line.Contains("[CAPABILITY", StringComparison.Ordinal) &&
                !line.StartsWith("* PREAUTH", StringComparison.Ordinal) && !line.StartsWith("* BYE", StringComparison.Ordinal))
            {
                answer.Add(line);
            }
        }

        return "(no answer)";
    }

    private static string Tag(string line) => line.Split(' ')[0];

    /// <summary>Mod-sequences as N, the UIDVALIDITY as V, the human text after a response code or status left out.</summary>
    private static List<string> Normalize(List<string> lines, uint uidValidity) =>
        lines.Select(line =>
        {
            line = ModSeqValue().Replace(line, m => m.Groups[1].Value + "N");
            line = line.Replace(uidValidity.ToString(CultureInfo.InvariantCulture), "V", StringComparison.Ordinal);
            var status = StatusText().Match(line);
            return status.Success ? status.Groups[1].Value : FetchItemsInOrder(line);
        }).ToList();

    /// <summary>A FETCH response with its items sorted: their order is the server's choice (RFC 3501 §7.4.2).</summary>
    private static string FetchItemsInOrder(string line)
    {
        var fetch = FetchResponse().Match(line);
        if (!fetch.Success)
        {
            return line;
        }

        var items = FetchItem().Matches(fetch.Groups[2].Value).Select(m => m.Value).Order(StringComparer.Ordinal);
        return $"{fetch.Groups[1].Value}({string.Join(' ', items)})";
    }

    [GeneratedRegex(@"^(\* \d+ FETCH )\((.*)\)$")]
    private static partial Regex FetchResponse();

    [GeneratedRegex(@"[A-Z0-9.]+ (?:\([^)]*\)|\S+)")]
    private static partial Regex FetchItem();

    [GeneratedRegex(@"((?:HIGHESTMODSEQ|MODSEQ) \(?)\d+")]
    private static partial Regex ModSeqValue();

    /// <summary>A status response: the tag, the status and its response code, without the text after them.</summary>
    [GeneratedRegex(@"^(\S+ (?:OK|NO|BAD)(?: \[[^\]]*\])?)")]
    private static partial Regex StatusText();


    private List<string> Dovecot(string[] commands)
    {
        using var dovecot = new DovecotMail(_dovecotRoot);
        var transcript = dovecot.ImapOneByOne(commands);
        DovecotMail.TakeBack(_dovecotRoot);
        return Lines(ImapResponses.Split(transcript));
    }

    private static List<string> Lines(IEnumerable<byte[]> responses) =>
        responses.Select(r => Encoding.Latin1.GetString(r).TrimEnd('\r', '\n')).ToList();

    private async Task<List<string>> OursAsync(string[] commands) =>
        Lines(await ImapResponses.SessionAsync(_server.Imaps, "user5", commands.Append("z LOGOUT"), TimeSpan.FromMinutes(1)));
}
