using System.Text.RegularExpressions;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Storage;

/// <summary>A Maildir that Dovecot delivered into and served over IMAP is served by us with the same UIDs, flags and folders.</summary>
public sealed partial class ImapDovecotMaildirTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Uids_flags_keywords_folders_and_subscriptions_match_dovecots_own_answers()
    {
        var root = _server.MaildirRoot("user4");
        Directory.CreateDirectory(root);
        using var dovecot = new DovecotMail(root);
        for (var i = 0; i < 4; i++)
        {
            dovecot.Deliver(DovecotMail.Message($"dovecot {i}"));
        }

        dovecot.Imap(
            "a CREATE \"Projekt &AMQ-\"", "b CREATE Archiv.2026", "c SUBSCRIBE \"Projekt &AMQ-\"", "d SELECT INBOX",
            "e UID STORE 1 +FLAGS (\\Seen \\Flagged $Label1)", "f UID STORE 2 +FLAGS (\\Answered \\Draft)",
            "g UID STORE 3 +FLAGS (\\Deleted)", "h EXPUNGE", "i UID COPY 1:2 \"Projekt &AMQ-\"", "j UID STORE 4 +FLAGS ($Forwarded NonJunk)");
        var theirs = new Dictionary<string, string>
        {
            ["INBOX"] = Normalize(dovecot.Imap("a SELECT INBOX", "b UID FETCH 1:* (FLAGS)")),
            ["Projekt Ä"] = Normalize(dovecot.Imap("a SELECT \"Projekt &AMQ-\"", "b UID FETCH 1:* (FLAGS)")),
        };
        var theirList = ListedNames(dovecot.Imap("a LIST \"\" \"*\""));
        var theirSubscriptions = ListedNames(dovecot.Imap("a LSUB \"\" \"*\""));
        DovecotMail.TakeBack(root);

        var script = $$"""
            import imaplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            c = imaplib.IMAP4_SSL("127.0.0.1", {{_server.Imaps}}, ssl_context=ctx)
            c.login("user4@example.jp", "{{MailServerInstance.Password}}")
            for name in ["INBOX", '"Projekt &AMQ-"']:
                typ, data = c.select(name)
                print("* OK [UIDVALIDITY " + c.untagged_responses["UIDVALIDITY"][0].decode() + "]")
                print("* OK [UIDNEXT " + c.untagged_responses["UIDNEXT"][0].decode() + "]")
                typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
                for line in data:
                    n, rest = line.decode().split(" ", 1)
                    print("* " + n + " FETCH " + rest)
                print("==")
            typ, data = c.list('""', "*")
            for line in data: print("* LIST " + line.decode())
            typ, data = c.lsub('""', "*")
            for line in data: print("* LSUB " + line.decode())
            c.logout()
            """;
        var ours = await ProcessRunner.RunAsync("python3", ["-c", script]);
        Assert.True(ours.ExitCode == 0, ours.Output + ours.Error);
        var sections = ours.Output.Split("==\n");

        Assert.Equal(theirs["INBOX"], Normalize(sections[0]));
        Assert.Equal(theirs["Projekt Ä"], Normalize(sections[1]));
        Assert.Contains("$Label1", theirs["INBOX"], StringComparison.Ordinal);
        Assert.Contains("$Forwarded", theirs["INBOX"], StringComparison.Ordinal);
        // We add the special-use folders at login; everything Dovecot listed is listed by us too.
        Assert.Subset(ListedNames(ours.Output).ToHashSet(), theirList.ToHashSet());
        Assert.Contains("\"Projekt &AMQ-\"", theirList);
        Assert.Subset(ListedNames(ours.Output, "LSUB").ToHashSet(), theirSubscriptions.ToHashSet());
    }

    /// <summary>UIDVALIDITY, UIDNEXT and "uid: sorted flags" lines, without \Recent (which is per session).</summary>
    private static string Normalize(string transcript)
    {
        var lines = new List<string>();
        foreach (Match match in StateLine().Matches(transcript))
        {
            lines.Add(match.Groups[1].Value + " " + match.Groups[2].Value);
        }

        foreach (Match match in FetchLine().Matches(transcript))
        {
            var flags = match.Groups["flags"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(f => f != "\\Recent").Order(StringComparer.Ordinal);
            lines.Add(match.Groups["uid"].Value + ": " + string.Join(' ', flags));
        }

        return string.Join('\n', lines);
    }

    private static List<string> ListedNames(string transcript, string verb = "LIST") =>
        ListLine().Matches(transcript).Where(m => m.Groups["verb"].Value == verb).Select(m => m.Groups["name"].Value).ToList();

    [GeneratedRegex(@"\[(UIDVALIDITY|UIDNEXT) (\d+)\]")]
    private static partial Regex StateLine();

    [GeneratedRegex(@"\* \d+ FETCH \((?:UID (?<uid>\d+) FLAGS \((?<flags>[^)]*)\)|FLAGS \((?<flags>[^)]*)\) UID (?<uid>\d+))\)")]
    private static partial Regex FetchLine();

    [GeneratedRegex(@"(?m)^\* (?<verb>LIST|LSUB) \([^)]*\) ""\."" (?<name>.+?)\r?$")]
    private static partial Regex ListLine();
}
