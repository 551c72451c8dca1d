using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// SORT and THREAD (RFC 5256), SORT=DISPLAY (RFC 5957) and ESEARCH (RFC 4731) as MailKit uses them, and on the
/// wire. The Dovecot differential test checks the same commands over its 264 messages.
/// </summary>
public sealed class ImapSortThreadTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A thread of three (a reply and a reply to it), an unrelated message, and a reply to nothing we have.</summary>
    private static readonly string[] Messages =
    [
        "From: Zelda <carol@example.org>\r\nTo: zed@example.jp\r\nSubject: Plans\r\nDate: Mon, 2 Nov 2026 09:00:00 +0000\r\nMessage-ID: <p1@x>\r\n\r\nfirst\r\n",
        "From: alice@example.org\r\nTo: Bob <bob@example.jp>\r\nSubject: Re: Plans\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <p2@x>\r\nIn-Reply-To: <p1@x>\r\n\r\nsecond\r\n",
        "From: bob@example.jp\r\nTo: alice@example.org\r\nSubject: Lunch\r\nDate: Sun, 1 Nov 2026 12:00:00 +0000\r\nMessage-ID: <l1@x>\r\n\r\nhungry? a longer body\r\n",
        "From: Dave <dave@example.net>\r\nTo: carol@example.org\r\nSubject: RE: [list] Re: Plans\r\nDate: Mon, 2 Nov 2026 11:00:00 +0000\r\nMessage-ID: <p3@x>\r\nReferences: <p1@x> <p2@x>\r\n\r\nthird\r\n",
        "From: eve@example.com\r\nTo: x@example.jp\r\nSubject: Fwd: Old news (fwd)\r\nDate: Tue, 3 Nov 2026 08:00:00 +0000\r\nMessage-ID: <o2@x>\r\nIn-Reply-To: <gone@x>\r\n\r\nold\r\n",
    ];

    private async Task<ImapClient> LoadedAsync(string user)
    {
        var client = await MailKitImap.LoggedInAsync(_server, user);
        foreach (var message in Messages)
        {
            await client.Inbox.AppendAsync(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(message))));
        }

        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        return client;
    }

    [Fact]
    public async Task MailKit_sorts_by_subject_date_from_size_and_display_name_with_reverse()
    {
        using var client = await LoadedAsync("user1");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Sort));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.SortDisplay));

        // Base subjects: "Lunch", "Old news", "Plans" ×3; equal ones in sequence order (RFC 5256 §2.2).
        Assert.Equal(new uint[] { 3u, 5, 1, 2, 4 }, Uids(await client.Inbox.SortAsync(SearchQuery.All, [OrderBy.Subject])));
        Assert.Equal(new uint[] { 5u, 4, 2, 1, 3 }, Uids(await client.Inbox.SortAsync(SearchQuery.All, [OrderBy.ReverseDate])));
        Assert.Equal(new uint[] { 2u, 3, 1, 4, 5 }, Uids(await client.Inbox.SortAsync(SearchQuery.All, [OrderBy.From])));
        // By mailbox, carol is third; by display name, Zelda is last (RFC 5957).
        Assert.Equal(new uint[] { 2u, 3, 4, 5, 1 }, Uids(await client.Inbox.SortAsync(SearchQuery.All, [OrderBy.DisplayFrom])));
        var sizes = await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.Size | MessageSummaryItems.UniqueId);
        Assert.Equal(
            sizes.OrderByDescending(m => m.Size).ThenBy(m => m.Index).Select(m => m.UniqueId.Id).ToArray(),
            Uids(await client.Inbox.SortAsync(SearchQuery.All, [OrderBy.ReverseSize])));
    }

    [Fact]
    public async Task MailKit_threads_by_references_and_by_subject()
    {
        using var client = await LoadedAsync("user2");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Thread));

        var byReferences = await client.Inbox.ThreadAsync(ThreadingAlgorithm.References, SearchQuery.All);
        // Lunch (sent first), the Plans thread 1 → 2 → 4, and the reply to a message we do not have.
        Assert.Equal(["3", "1>2>4", "5"], byReferences.Select(Shape));

        var bySubject = await client.Inbox.ThreadAsync(ThreadingAlgorithm.OrderedSubject, SearchQuery.All);
        Assert.Equal(["3", "1>[2,4]", "5"], bySubject.Select(Shape));
    }

    [Fact]
    public async Task Esearch_returns_min_max_count_and_all_as_asked_and_sort_and_thread_work_on_the_wire()
    {
        using (var client = await LoadedAsync("user3"))
        {
            var results = await client.Inbox.SearchAsync(SearchOptions.All | SearchOptions.Count | SearchOptions.Min | SearchOptions.Max, SearchQuery.SubjectContains("plans"));
            Assert.Equal(3, results.Count);
            Assert.Equal(1u, results.Min!.Value.Id);
            Assert.Equal(4u, results.Max!.Value.Id);
            Assert.Equal([1u, 2, 4], results.UniqueIds.Select(u => u.Id));
        }

        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        Assert.StartsWith("s OK", await wire.ResultAsync("s EXAMINE INBOX"), StringComparison.Ordinal);
        Assert.Equal(["* ESEARCH (TAG \"a\") UID MIN 1 MAX 4 ALL 1:2,4 COUNT 3", "a OK Search completed."],
            await wire.CommandAsync("a UID SEARCH RETURN (MIN MAX ALL COUNT) SUBJECT plans"));
        Assert.Equal(["* ESEARCH (TAG \"b\") COUNT 0", "b OK Search completed."], await wire.CommandAsync("b SEARCH RETURN (COUNT MIN) SUBJECT nothing"));
        Assert.Equal("* ESEARCH (TAG \"c\") ALL 1:5", (await wire.CommandAsync("c SEARCH RETURN () ALL"))[0]);
        Assert.StartsWith("d BAD", await wire.ResultAsync("d SEARCH RETURN (NOSUCH) ALL"), StringComparison.Ordinal);

        // SEARCHRES (RFC 5182): SAVE alone answers nothing; "$" then names the result, in FETCH and in SEARCH.
        Assert.Equal(["s1 OK Search completed."], await wire.CommandAsync("s1 UID SEARCH RETURN (SAVE) SUBJECT plans"));
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 4 FETCH (UID 4)", "s2 OK Fetch completed."], await wire.CommandAsync("s2 FETCH $ (UID)"));
        Assert.Equal(["* SEARCH 2 4", "s3 OK Search completed."], await wire.CommandAsync("s3 UID SEARCH UID $ SINCE 2-Nov-2026 NOT FROM zelda"));
        Assert.Equal("* ESEARCH (TAG \"s4\") MIN 4", (await wire.CommandAsync("s4 SEARCH RETURN (SAVE MIN) $ FROM dave"))[0]);
        Assert.Equal(["* 4 FETCH (UID 4)", "s5 OK Fetch completed."], await wire.CommandAsync("s5 FETCH $ (UID)"));
        Assert.StartsWith("s6 BAD", await wire.ResultAsync("s6 SEARCH RETURN (SAVE) NOSUCHKEY"), StringComparison.Ordinal);
        Assert.Equal(["s7 OK Fetch completed."], await wire.CommandAsync("s7 FETCH $ (UID)"));

        Assert.Equal("* SORT 4 2 1", (await wire.CommandAsync("e SORT (REVERSE DATE) UTF-8 SUBJECT plans"))[0]);
        Assert.Equal("* THREAD (3)(1 2 4)(5)", (await wire.CommandAsync("f THREAD REFERENCES UTF-8 ALL"))[0]);
        Assert.Equal("* THREAD (3)(1 (2)(4))(5)", (await wire.CommandAsync("g UID THREAD ORDEREDSUBJECT US-ASCII ALL"))[0]);
        Assert.StartsWith("h NO [BADCHARSET", await wire.ResultAsync("h SORT (DATE) KOI8-R ALL"), StringComparison.Ordinal);
        Assert.StartsWith("i BAD", await wire.ResultAsync("i SORT (REVERSE) UTF-8 ALL"), StringComparison.Ordinal);
        Assert.StartsWith("j BAD", await wire.ResultAsync("j THREAD SIDEWAYS UTF-8 ALL"), StringComparison.Ordinal);
    }

    private static uint[] Uids(IList<UniqueId> uids) => uids.Select(u => u.Id).ToArray();

    /// <summary>"1>2>4" for a chain, "1>[2,4]" for a message with two children.</summary>
    private static string Shape(MessageThread thread)
    {
        var self = thread.UniqueId?.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-";
        return thread.Children.Count switch
        {
            0 => self,
            1 => self + ">" + Shape(thread.Children[0]),
            _ => self + ">[" + string.Join(',', thread.Children.Select(Shape)) + "]",
        };
    }
}
