using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>Two sessions on one mailbox: renamed files, concurrent flag changes, folders deleted and renamed under a session.</summary>
public sealed class ImapSharedMailboxTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task FillAsync(ImapWire wire, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await wire.SendAsync($"ap APPEND INBOX {{{13 + i.ToString(System.Globalization.CultureInfo.InvariantCulture).Length}+}}\r\nSubject: m{i}\r\n\r\n");
            Assert.StartsWith("ap OK", (await wire.ReadUntilTaggedAsync("ap"))[^1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Messages_renamed_by_another_session_are_still_fetched_searched_copied_and_moved()
    {
        await using var a = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await using var b = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await FillAsync(a, 5);
        await a.ResultAsync("s SELECT INBOX");
        await b.ResultAsync("s SELECT INBOX");

        Assert.StartsWith("f OK", await b.ResultAsync("f STORE 1:* +FLAGS.SILENT (\\Flagged)"), StringComparison.Ordinal);
        var body = await a.CommandAsync("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] INTERNALDATE)");
        var search = await a.CommandAsync("b SEARCH SUBJECT m");
        var copy = await a.ResultAsync("c UID COPY 5 Junk");
        var move = await a.ResultAsync("d UID MOVE 4 Junk");

        Assert.StartsWith("a OK", body[^1], StringComparison.Ordinal);
        Assert.Contains("Subject: m1", string.Join("\n", body), StringComparison.Ordinal);
        Assert.DoesNotContain("1601", body[0], StringComparison.Ordinal);
        Assert.Equal("* SEARCH 1 2 3 4 5", search[0]);
        Assert.StartsWith("c OK [COPYUID", copy, StringComparison.Ordinal);
        Assert.StartsWith("d OK Move completed.", move, StringComparison.Ordinal);
        Assert.Equal("* STATUS Junk (MESSAGES 2)", (await a.CommandAsync("e STATUS Junk (MESSAGES)"))[0]);
    }

    [Fact]
    public async Task Flag_changes_from_two_sessions_on_one_message_are_both_kept()
    {
        await using var a = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
        await using var b = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
        await FillAsync(a, 1);
        await a.ResultAsync("s SELECT INBOX");
        await b.ResultAsync("s SELECT INBOX");

        await b.ResultAsync("f STORE 1 +FLAGS (\\Flagged)");
        var stored = await a.CommandAsync("g STORE 1 +FLAGS (\\Seen)");

        Assert.Contains(stored, l => l.Contains("FLAGS (\\Flagged \\Seen", StringComparison.Ordinal));
        var flags = await b.CommandAsync("h FETCH 1 (FLAGS)");
        Assert.Contains(flags, l => l.Contains("\\Flagged \\Seen", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_session_whose_folder_another_session_deletes_is_told_and_closed()
    {
        await using var a = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        await using var b = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        await a.ResultAsync("c CREATE Foo");
        Assert.StartsWith("s OK", await a.ResultAsync("s SELECT Foo"), StringComparison.Ordinal);

        Assert.StartsWith("d OK", await b.ResultAsync("d DELETE Foo"), StringComparison.Ordinal);
        var noop = await a.CommandAsync("n NOOP");

        Assert.Contains("* BYE Selected mailbox was deleted, have to disconnect.", noop);
        Assert.Null(await a.ReadLineAsync());
    }

    [Fact]
    public async Task Deleting_the_selected_folder_closes_it_and_renaming_it_keeps_it_selected()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user4");
        await wire.ResultAsync("a CREATE Zed");
        await wire.ResultAsync("b SELECT Zed");
        Assert.Equal("c OK [CLOSED] Delete completed; the selected mailbox is closed.", await wire.ResultAsync("c DELETE Zed"));

        await wire.ResultAsync("d CREATE Old");
        await wire.ResultAsync("e CREATE Old.Child");
        await FillAsync(wire, 2);
        await wire.ResultAsync("f SELECT INBOX");
        Assert.StartsWith("g OK", await wire.ResultAsync("g COPY 1:2 Old.Child"), StringComparison.Ordinal);
        Assert.StartsWith("h OK", await wire.ResultAsync("h SELECT Old.Child"), StringComparison.Ordinal);
        Assert.StartsWith("i OK", await wire.ResultAsync("i RENAME Old New"), StringComparison.Ordinal);
        var fetch = await wire.CommandAsync("j FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        Assert.Equal("j OK Fetch completed.", fetch[^1]);
        Assert.Contains("Subject: m2", string.Join("\n", fetch), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rename_that_cannot_be_done_whole_changes_nothing()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        foreach (var folder in new[] { "r1", "r1.x", "r2.x" })
        {
            await wire.ResultAsync($"c CREATE {folder}");
        }

        Assert.StartsWith("r NO [ALREADYEXISTS]", await wire.ResultAsync("r RENAME r1 r2"), StringComparison.Ordinal);
        var list = await wire.CommandAsync("l LIST \"\" r*");

        Assert.Contains("* LIST (\\HasChildren) \".\" r1", list);
        Assert.Contains("* LIST (\\HasNoChildren) \".\" r1.x", list);
        Assert.Contains("* LIST (\\Noselect \\HasChildren) \".\" r2", list);
    }

    [Fact]
    public async Task Lsub_keeps_subscriptions_of_gone_folders_and_shows_unsubscribed_parents_for_percent()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await wire.ResultAsync("a CREATE p.q");
        await wire.ResultAsync("b SUBSCRIBE p.q");

        var percent = await wire.CommandAsync("c LSUB \"\" %");
        Assert.Contains("* LSUB (\\Noselect) \".\" p", percent);
        await wire.ResultAsync("d DELETE p.q");
        var all = await wire.CommandAsync("e LSUB \"\" *");
        // Still listed, and as Dovecot lists it: LSUB does not look whether the folder is there (RFC 3501 §6.3.9).
        Assert.Contains("* LSUB () \".\" p.q", all);
    }

    [Fact]
    public async Task A_27th_keyword_in_a_folder_is_refused_not_dropped()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        await FillAsync(wire, 1);
        await wire.ResultAsync("s SELECT INBOX");
        var keywords = string.Join(' ', Enumerable.Range(1, 26).Select(i => $"k{i}"));
        Assert.StartsWith("a OK", await wire.ResultAsync($"a STORE 1 +FLAGS ({keywords})"), StringComparison.Ordinal);

        Assert.StartsWith("b NO [LIMIT]", await wire.ResultAsync("b STORE 1 +FLAGS (one-too-many)"), StringComparison.Ordinal);
        var flags = await wire.CommandAsync("c FETCH 1 (FLAGS)");
        Assert.Contains("k26", flags[0], StringComparison.Ordinal);
        Assert.DoesNotContain("one-too-many", flags[0], StringComparison.Ordinal);
    }
}
