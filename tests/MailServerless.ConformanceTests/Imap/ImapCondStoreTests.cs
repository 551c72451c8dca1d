using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Search;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// CONDSTORE and QRESYNC (RFC 7162) on the wire and with MailKit: HIGHESTMODSEQ, MODSEQ in FETCH, CHANGEDSINCE,
/// UNCHANGEDSINCE with MODIFIED, SEARCH MODSEQ, VANISHED, and a QRESYNC SELECT that resynchronises a client after other
/// sessions changed flags and expunged, after a server restart, and after the index was lost.
/// </summary>
public sealed partial class ImapCondStoreTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task AppendAsync(ImapWire wire, string subject, string folder = "INBOX")
    {
        var bytes = Encoding.UTF8.GetBytes($"Subject: {subject}\r\n\r\nx\r\n");
        await wire.SendAsync($"ap APPEND {folder} {{{bytes.Length}+}}\r\n");
        await wire.SendAsync(bytes);
        await wire.SendAsync("\r\n");
        Assert.StartsWith("ap OK [APPENDUID", (await wire.ReadUntilTaggedAsync("ap"))[^1], StringComparison.Ordinal);
    }

    private static async Task<ImapWire> WithMessagesAsync(MailServerInstance server, string user, int count)
    {
        var wire = await ImapWire.LoggedInAsync(server.Imaps, user);
        for (var i = 1; i <= count; i++)
        {
            await AppendAsync(wire, "message " + i.ToString(CultureInfo.InvariantCulture));
        }

        return wire;
    }

    private static ulong HighestModSeq(IEnumerable<string> lines) => ImapResponseCodes.HighestModSeq(lines);

    private static uint UidValidity(IEnumerable<string> lines) => ImapResponseCodes.UidValidity(lines);

    private static ulong ModSeqOf(string line) => ulong.Parse(ModSeqItem().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"MODSEQ \((\d+)\)")]
    private static partial Regex ModSeqItem();

    [Fact]
    public async Task Select_and_status_tell_highestmodseq_and_fetch_modseq_gives_each_message_its_own()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 3);

        Assert.Contains("CONDSTORE", (await wire.CommandAsync("c CAPABILITY"))[0].Split(' '));
        var select = await wire.CommandAsync("s SELECT INBOX");
        var highest = HighestModSeq(select);
        Assert.Contains($"* OK [HIGHESTMODSEQ {highest}] Highest", select);
        Assert.Equal($"* STATUS INBOX (HIGHESTMODSEQ {highest})", (await wire.CommandAsync("st STATUS INBOX (HIGHESTMODSEQ)"))[0]);

        var fetch = await wire.CommandAsync("f FETCH 1:* (MODSEQ)");
        Assert.Equal(4, fetch.Count);
        var modSeqs = fetch.Take(3).Select(ModSeqOf).ToList();
        Assert.Equal(3, modSeqs.Distinct().Count());
        Assert.Equal(highest, modSeqs.Max());
        Assert.Equal($"* 1 FETCH (MODSEQ ({modSeqs[0]}))", fetch[0]);
    }

    [Fact]
    public async Task A_store_raises_the_modseq_and_changedsince_returns_only_what_changed_since()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 3);
        var highest = HighestModSeq(await wire.CommandAsync("s SELECT INBOX (CONDSTORE)"));

        var store = await wire.CommandAsync("t STORE 2 +FLAGS (\\Flagged)");
        Assert.Matches(@"^\* 2 FETCH \(FLAGS \(\\Flagged \\Recent\) MODSEQ \(\d+\)\)$", store[0]);
        var changed = ModSeqOf(store[0]);
        Assert.True(changed > highest);

        var since = await wire.CommandAsync($"f FETCH 1:* (FLAGS) (CHANGEDSINCE {highest})");
        Assert.Equal([$"* 2 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ ({changed}))", "f OK Fetch completed."], since);
        Assert.Equal(["g OK Fetch completed."], await wire.CommandAsync($"g UID FETCH 1:* (FLAGS) (CHANGEDSINCE {changed})"));
        Assert.Equal($"* STATUS INBOX (HIGHESTMODSEQ {changed})", (await wire.CommandAsync("st STATUS INBOX (HIGHESTMODSEQ)"))[0]);
    }

    [Fact]
    public async Task Store_unchangedsince_leaves_messages_changed_since_and_names_them_in_modified()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 3);
        var highest = HighestModSeq(await wire.CommandAsync("s SELECT INBOX (CONDSTORE)"));
        await using (var other = await ImapWire.LoggedInAsync(_server.Imaps, "user1"))
        {
            Assert.StartsWith("s OK", await other.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
            Assert.StartsWith("t OK", await other.ResultAsync("t STORE 2 +FLAGS.SILENT (\\Seen)"), StringComparison.Ordinal);
        }

        var store = await wire.CommandAsync($"u STORE 1:3 (UNCHANGEDSINCE {highest}) +FLAGS.SILENT (\\Deleted)");

        // RFC 7162 §3.1.3: the other session's change to 2 is reported, 1 and 3 are changed with their new MODSEQ even
        // though .SILENT, and 2 is named in MODIFIED.
        Assert.Contains(store, l => l.StartsWith("* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (", StringComparison.Ordinal));
        Assert.Contains(store, l => Regex.IsMatch(l, @"^\* 1 FETCH \(MODSEQ \(\d+\)\)$"));
        Assert.Contains(store, l => Regex.IsMatch(l, @"^\* 3 FETCH \(MODSEQ \(\d+\)\)$"));
        Assert.Equal("u OK [MODIFIED 2] Conditional STORE failed.", store[^1]);
        var flags = await wire.CommandAsync("f FETCH 1:3 (FLAGS)");
        Assert.Contains("* 1 FETCH (FLAGS (\\Deleted \\Recent))", flags);
        Assert.Contains("* 2 FETCH (FLAGS (\\Seen \\Recent))", flags);

        // UNCHANGEDSINCE 0 fails for every message (RFC 7162 §3.1.3), by UID in UID STORE.
        Assert.Equal(["v OK [MODIFIED 1:3] Conditional STORE failed."], await wire.CommandAsync("v UID STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS (\\Answered)"));
    }

    [Fact]
    public async Task Search_modseq_finds_the_messages_changed_since_and_tells_the_highest_of_them()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 3);
        var highest = HighestModSeq(await wire.CommandAsync("s SELECT INBOX"));
        Assert.Equal(["* 3 FETCH (FLAGS (\\Answered \\Recent))", "t OK Store completed."], await wire.CommandAsync("t STORE 3 +FLAGS (\\Answered)"));

        // The first CONDSTORE-enabling command after SELECT also tells HIGHESTMODSEQ (RFC 7162 §3.1).
        var search = await wire.CommandAsync($"f SEARCH MODSEQ {highest + 1}");
        var changed = HighestModSeq(search);
        Assert.True(changed > highest);
        Assert.Equal($"* SEARCH 3 (MODSEQ {changed})", search[0]);
        Assert.Equal([$"* SEARCH 3 (MODSEQ {changed})", "g OK Search completed."], await wire.CommandAsync($"g SEARCH MODSEQ \"/flags/\\\\answered\" all {highest + 1}"));
        Assert.Equal(["* SEARCH", "h OK Search completed."], await wire.CommandAsync($"h SEARCH MODSEQ {changed + 1}"));
        Assert.Equal([$"* ESEARCH (TAG \"i\") UID ALL 3 MODSEQ {changed}", "i OK Search completed."], await wire.CommandAsync($"i UID SEARCH RETURN (ALL) MODSEQ {highest + 1}"));
        Assert.StartsWith("j BAD", await wire.ResultAsync("j SEARCH MODSEQ x"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_sessions_flag_change_comes_with_its_modseq_once_condstore_is_on()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 2);
        Assert.Equal(["* ENABLED CONDSTORE", "e OK Enabled."], await wire.CommandAsync("e ENABLE CONDSTORE"));
        Assert.Equal(["* ENABLED", "f OK Enabled."], await wire.CommandAsync("f ENABLE CONDSTORE"));
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        await using (var other = await ImapWire.LoggedInAsync(_server.Imaps, "user1"))
        {
            Assert.StartsWith("s OK", await other.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
            Assert.StartsWith("t OK", await other.ResultAsync("t STORE 1 +FLAGS.SILENT (\\Flagged)"), StringComparison.Ordinal);
        }

        var noop = await wire.CommandAsync("n NOOP");
        Assert.Matches(@"^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged \\Recent\) MODSEQ \(\d+\)\)$", noop[0]);
    }

    [Fact]
    public async Task Qresync_select_reports_what_vanished_and_what_changed_since_the_clients_modseq()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 5);
        Assert.Equal(["* ENABLED QRESYNC", "e OK Enabled."], await wire.CommandAsync("e ENABLE QRESYNC"));
        var select = await wire.CommandAsync("s SELECT INBOX");
        var (validity, highest) = (UidValidity(select), HighestModSeq(select));
        await using (var other = await ImapWire.LoggedInAsync(_server.Imaps, "user1"))
        {
            Assert.StartsWith("s OK", await other.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
            Assert.StartsWith("t OK", await other.ResultAsync("t STORE 2,4 +FLAGS.SILENT (\\Deleted)"), StringComparison.Ordinal);
            Assert.StartsWith("x OK", await other.ResultAsync("x EXPUNGE"), StringComparison.Ordinal);
            Assert.StartsWith("u OK", await other.ResultAsync("u UID STORE 5 +FLAGS.SILENT (\\Seen)"), StringComparison.Ordinal);
        }

        Assert.Equal("* OK [CLOSED] Previous mailbox closed.", (await wire.CommandAsync("x EXAMINE INBOX"))[0]);
        var resync = await wire.CommandAsync($"r SELECT INBOX (QRESYNC ({validity} {highest}))");
        Assert.Equal("* OK [CLOSED] Previous mailbox closed.", resync[0]);
        Assert.Contains("* VANISHED (EARLIER) 2,4", resync);
        Assert.Contains(resync, l => l.StartsWith("* 3 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (", StringComparison.Ordinal));
        Assert.DoesNotContain(resync, l => l.Contains("UID 1 ", StringComparison.Ordinal) || l.Contains("UID 3 ", StringComparison.Ordinal));
        Assert.Equal("r OK [READ-WRITE] Select completed.", resync[^1]);

        // Only what the client says it knows: UIDs 1 and 3 here.
        var narrowed = await wire.CommandAsync($"q SELECT INBOX (QRESYNC ({validity} {highest} 1:3))");
        Assert.Contains("* VANISHED (EARLIER) 2", narrowed);
        Assert.DoesNotContain(narrowed, l => l.Contains("FETCH", StringComparison.Ordinal));

        // Another UIDVALIDITY: the client's state is void, nothing is replayed.
        var stale = await wire.CommandAsync($"v SELECT INBOX (QRESYNC ({validity + 1} {highest}))");
        Assert.DoesNotContain(stale, l => l.Contains("VANISHED", StringComparison.Ordinal) || l.Contains("FETCH", StringComparison.Ordinal));

        // UID FETCH … (CHANGEDSINCE n VANISHED) reports the same, for the UIDs asked about.
        var fetch = await wire.CommandAsync($"f UID FETCH 1:5 (FLAGS) (CHANGEDSINCE {highest} VANISHED)");
        Assert.Equal("* VANISHED (EARLIER) 2,4", fetch[0]);
        Assert.StartsWith("* 3 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (", fetch[1], StringComparison.Ordinal);
        Assert.Equal("f OK Fetch completed.", fetch[^1]);
    }

    [Fact]
    public async Task With_qresync_an_expunge_is_reported_as_vanished_with_uids()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 4);
        await wire.CommandAsync("e ENABLE QRESYNC");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        await wire.CommandAsync("t STORE 2:3 +FLAGS.SILENT (\\Deleted)");

        var expunge = await wire.CommandAsync("x EXPUNGE");
        Assert.Equal("* VANISHED 2:3", expunge[0]);
        Assert.Matches(@"^x OK \[HIGHESTMODSEQ \d+\] Expunge completed\.$", expunge[1]);
        Assert.Equal(2, expunge.Count);
    }

    [Fact]
    public async Task Qresync_and_vanished_are_refused_where_the_rfc_forbids_them()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 1);
        var select = await wire.CommandAsync("s SELECT INBOX");
        var (validity, highest) = (UidValidity(select), HighestModSeq(select));

        // RFC 7162 §3.2.5 and §3.2.6: not before ENABLE QRESYNC; VANISHED only in UID FETCH with CHANGEDSINCE.
        Assert.StartsWith("a BAD", await wire.ResultAsync($"a SELECT INBOX (QRESYNC ({validity} {highest}))"), StringComparison.Ordinal);
        await wire.CommandAsync("e ENABLE QRESYNC");
        Assert.StartsWith("b OK", await wire.ResultAsync("b SELECT INBOX"), StringComparison.Ordinal);
        Assert.StartsWith("c BAD", await wire.ResultAsync($"c FETCH 1 (FLAGS) (CHANGEDSINCE {highest} VANISHED)"), StringComparison.Ordinal);
        Assert.StartsWith("d BAD", await wire.ResultAsync("d UID FETCH 1 (FLAGS) (VANISHED)"), StringComparison.Ordinal);
        Assert.StartsWith("f BAD", await wire.ResultAsync("f FETCH 1 (FLAGS) (CHANGEDSINCE x)"), StringComparison.Ordinal);
        Assert.StartsWith("g BAD", await wire.ResultAsync("g STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)"), StringComparison.Ordinal);
        Assert.StartsWith("h BAD", await wire.ResultAsync($"h SELECT INBOX (QRESYNC (0 {highest}))"), StringComparison.Ordinal);
        Assert.StartsWith("i BAD", await wire.ResultAsync("i SELECT INBOX (NOSUCH)"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restart_keeps_the_modseqs_and_a_client_resyncs_with_nothing_to_do()
    {
        List<string> before;
        await using (var wire = await WithMessagesAsync(_server, "user1", 3))
        {
            await wire.CommandAsync("s SELECT INBOX");
            await wire.CommandAsync("t STORE 2 +FLAGS (\\Seen)");
            before = (await wire.CommandAsync("f FETCH 1:* (UID MODSEQ)")).Where(l => l.Contains("FETCH", StringComparison.Ordinal)).ToList();
        }

        var select = await (await ImapWire.LoggedInAsync(_server.Imaps, "user1")).CommandAsync("s EXAMINE INBOX");
        await _server.RestartAsync();

        await using var again = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await again.CommandAsync("e ENABLE QRESYNC");
        var resync = await again.CommandAsync($"r SELECT INBOX (QRESYNC ({UidValidity(select)} {HighestModSeq(select)}))");
        Assert.Equal(HighestModSeq(select), HighestModSeq(resync));
        Assert.DoesNotContain(resync, l => l.Contains("VANISHED", StringComparison.Ordinal) || l.Contains("FETCH", StringComparison.Ordinal));
        Assert.Equal(before, (await again.CommandAsync("f FETCH 1:* (UID MODSEQ)")).Where(l => l.Contains("FETCH", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task After_the_index_is_lost_a_client_resyncs_everything_with_the_same_uids_and_higher_modseqs()
    {
        await using var wire = await WithMessagesAsync(_server, "user1", 3);
        await wire.CommandAsync("e ENABLE QRESYNC");
        var select = await wire.CommandAsync("s SELECT INBOX");
        var (validity, highest) = (UidValidity(select), HighestModSeq(select));
        await wire.CommandAsync("t STORE 2 +FLAGS.SILENT (\\Deleted)");
        await wire.CommandAsync("x EXPUNGE");
        await wire.CommandAsync("c CLOSE");

        File.Delete(Path.Combine(_server.MaildirRoot("user1"), "msl-index"));
        await _server.RestartAsync();

        await using var again = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await again.CommandAsync("e ENABLE QRESYNC");
        var resync = await again.CommandAsync($"r SELECT INBOX (QRESYNC ({validity} {highest}))");
        Assert.Equal(validity, UidValidity(resync));
        Assert.True(HighestModSeq(resync) > highest);
        // The expunge record went with the index: every UID the folder lacks is named, and every message re-sent.
        Assert.Contains("* VANISHED (EARLIER) 2", resync);
        Assert.Contains(resync, l => l.StartsWith("* 1 FETCH (UID 1 FLAGS () MODSEQ (", StringComparison.Ordinal));
        Assert.Contains(resync, l => l.StartsWith("* 2 FETCH (UID 3 FLAGS () MODSEQ (", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mailkit_resynchronises_with_qresync_and_stores_conditionally()
    {
        await using (var wire = await WithMessagesAsync(_server, "user1", 4))
        {
        }

        using var client = await MailKitImap.LoggedInAsync(_server, "user1");
        Assert.True(client.Capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.QuickResync));
        await client.EnableQuickResyncAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var validity = inbox.UidValidity;
        var highest = inbox.HighestModSeq;
        var uids = await inbox.SearchAsync(SearchQuery.All);
        Assert.Equal(4, uids.Count);
        Assert.True(highest > 0);

        // Conditional STORE: refused for a message changed since.
        await inbox.AddFlagsAsync(uids[0], MessageFlags.Flagged, silent: true);
        var unmodified = await inbox.StoreAsync(uids.Take(2).ToList(), new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true, UnchangedSince = highest });
        Assert.Equal([uids[0]], unmodified);

        var changed = await inbox.FetchAsync(0, -1, highest, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.ModSeq);
        Assert.Equal([uids[0], uids[1]], changed.Select(m => m.UniqueId).Order());
        Assert.All(changed, m => Assert.True(m.ModSeq > highest));
        // SEARCH MODSEQ n finds mod-sequences of at least n (RFC 7162 §3.1.5): the last appended message has highest itself.
        Assert.Equal([uids[0], uids[1]], (await inbox.SearchAsync(SearchQuery.ChangedSince(highest + 1))).Order());
        Assert.Equal([uids[0], uids[1], uids[3]], (await inbox.SearchAsync(SearchQuery.ChangedSince(highest))).Order());
        await inbox.CloseAsync();

        // Another session expunges; MailKit's QRESYNC open hears of it.
        await using (var other = await ImapWire.LoggedInAsync(_server.Imaps, "user1"))
        {
            await other.CommandAsync("s SELECT INBOX");
            await other.CommandAsync($"t UID STORE {uids[3].Id} +FLAGS.SILENT (\\Deleted)");
            await other.CommandAsync("x EXPUNGE");
        }

        var vanished = new List<UniqueId>();
        inbox.MessagesVanished += (_, e) => vanished.AddRange(e.UniqueIds);
        await inbox.OpenAsync(FolderAccess.ReadWrite, validity, highest, uids);
        Assert.Equal([uids[3]], vanished);
        Assert.Equal(3, inbox.Count);
    }
}
