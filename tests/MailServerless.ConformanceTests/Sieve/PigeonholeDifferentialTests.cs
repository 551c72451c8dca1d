using System.Text;
using MailServerless.Core.Sieve;
using MimeKit;

namespace MailServerless.ConformanceTests.Sieve;

/// <summary>
/// The differential corpus: every script of Pigeonhole/scripts.sieve-cases on every message of Pigeonhole/*.eml, run by
/// our interpreter and by Dovecot Pigeonhole's sieve-test; the normalized actions must be the same. A difference
/// found elsewhere becomes a new line of the corpus.
/// </summary>
public sealed class PigeonholeDifferentialTests
{
    private const string From = "sender@example.com";
    private const string To = "me+lists@example.jp";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Sieve", "Pigeonhole");

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (name, _) in Scripts())
            {
                foreach (var message in Directory.GetFiles(Folder, "*.eml").Order(StringComparer.Ordinal))
                {
                    data.Add(name, Path.GetFileName(message));
                }
            }

            return data;
        }
    }

    /// <summary>
    /// The differences we keep on purpose, each with why, and our answer (checked too): Pigeonhole 2.3.19 is wrong
    /// there and the RFC is followed.
    /// </summary>
    private static readonly Dictionary<(string Name, string Message), (string Why, string[] Ours)> AllowedDifferences = new()
    {
        [("index-received", "plain.eml")] = (
            "RFC 5260 §6: date :index 2 looks at the second Received field; Pigeonhole 2.3.19 ignores :index in the date test",
            ["store t-01:00:00"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Our_actions_are_pigeonholes(string name, string message)
    {
        var script = Scripts().Single(s => s.Name == name).Script;
        var path = Path.Combine(Folder, message);
        var theirs = await PigeonholeSieveTest.RunAsync(script, path, From, To);
        var ours = Ours(script, path);
        if (AllowedDifferences.TryGetValue((name, message), out var allowed))
        {
            Assert.NotEqual(theirs, ours);
            Assert.Equal(allowed.Ours, ours);
            return;
        }

        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Corpus_has_at_least_sixty_cases() => Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");

    private static IReadOnlyList<string> Ours(string script, string path)
    {
        SieveScript compiled;
        try
        {
            compiled = SieveScript.Compile(script);
        }
        catch (SieveSyntaxException)
        {
            return ["error"];
        }

        var bytes = File.ReadAllBytes(path);
        var message = MimeMessage.Load(new MemoryStream(bytes));
        var score = double.TryParse(message.Headers["X-Spam-Score"], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s)
            ? s
            : (double?)null;
        var result = compiled.Run(new SieveMessage(message, From, To, bytes.Length, score));
        if (result.Error is not null)
        {
            return ["error"];
        }

        // sieve-test shows a control character in a folder name or a reason as "?".
        static string Shown(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        var lines = result.Actions.Select(a => a switch
        {
            SieveVacation v => $"vacation seconds={v.Seconds} subject={v.Subject ?? "default"} reason={v.Reason.TrimEnd('\r', '\n').Replace("\r\n", "\\n", StringComparison.Ordinal)}",
            SieveReject r => $"{(r.Extended ? "ereject" : "reject")} {Shown(r.Reason)}",
            SieveStore store => Shown(store.ToString()),
            _ => a.ToString()!,
        }).ToList();
        if (result.ImplicitKeep)
        {
            lines.Add("keep" + (result.KeepFlags.Count > 0 ? " flags=" + string.Join(' ', result.KeepFlags.Select(f => f.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal)) : string.Empty));
        }

        return lines;
    }

    private static IEnumerable<(string Name, string Script)> Scripts() =>
        File.ReadAllLines(Path.Combine(Folder, "scripts.sieve-cases"), Encoding.UTF8)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t', 2))
            .Select(p => (p[0], p[1].Replace("\\n", "\r\n", StringComparison.Ordinal)));
}
