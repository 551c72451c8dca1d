using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// UTF8=ACCEPT (RFC 6855) with MailKit and on the wire, and the rules a session takes on with ENABLE IMAP4rev2
/// (RFC 9051): UTF-8 mailbox names, no \Recent, SEARCH answered as ESEARCH, SELECT naming the mailbox.
/// </summary>
public sealed class ImapUtf8AndRev2Tests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Both_are_advertised_beside_imap4rev1_and_enabled_only_when_asked()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        var capability = (await wire.CommandAsync("c CAPABILITY"))[0];
        Assert.Contains(" IMAP4rev1 IMAP4rev2 ", capability, StringComparison.Ordinal);
        Assert.Contains(" UTF8=ACCEPT ", capability, StringComparison.Ordinal);
        Assert.Contains(" STATUS=SIZE ", capability, StringComparison.Ordinal);

        Assert.Equal(["* ENABLED UTF8=ACCEPT IMAP4rev2", "e OK Enabled."], await wire.CommandAsync("e ENABLE utf8=accept IMAP4REV2 X-UNKNOWN"));
        // RFC 5161 §3.1: what is on already is not named again.
        Assert.Equal(["* ENABLED", "f OK Enabled."], await wire.CommandAsync("f ENABLE UTF8=ACCEPT"));
    }

    [Fact]
    public async Task A_utf8_session_names_mailboxes_in_utf8_and_a_rev1_session_sees_the_same_mailbox_in_modified_utf7()
    {
        await using var utf8 = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await utf8.CommandAsync("e ENABLE UTF8=ACCEPT");
        Assert.StartsWith("c OK", await utf8.ResultAsync("c CREATE \"日本語.報告\""), StringComparison.Ordinal);
        Assert.Equal(
            ["* LIST (\\HasNoChildren) \".\" \"日本語.報告\"", "l OK LIST completed."],
            await utf8.CommandAsync("l LIST \"\" \"日本語.*\""));
        Assert.Equal(
            ["* STATUS \"日本語.報告\" (MESSAGES 0 DELETED 0 SIZE 0)", "s OK Status completed."],
            await utf8.CommandAsync("s STATUS \"日本語.報告\" (MESSAGES DELETED SIZE)"));
        // "&" is a character to a UTF-8 session: the modified UTF-7 spelling names another (absent) mailbox.
        Assert.StartsWith("x NO [NONEXISTENT]", await utf8.ResultAsync("x SELECT &ZeVnLIqe-.&WDFUSg-"), StringComparison.Ordinal);

        await using var rev1 = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        Assert.Contains("* LIST (\\HasNoChildren) \".\" &ZeVnLIqe-.&WDFUSg-", await rev1.CommandAsync("l LIST \"\" *"));
        Assert.StartsWith("x OK", await rev1.ResultAsync("x SELECT &ZeVnLIqe-.&WDFUSg-"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Utf8_append_data_stores_the_message_once_enabled_and_is_a_bad_command_before()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
        var message = Encoding.UTF8.GetBytes("From: 山田 <yamada@example.jp>\r\nSubject: 会議の件\r\n\r\n本文\r\n");
        Assert.StartsWith("b BAD", await AppendUtf8Async(wire, "b", message), StringComparison.Ordinal);

        await wire.CommandAsync("e ENABLE UTF8=ACCEPT");
        Assert.StartsWith("a OK [APPENDUID ", await AppendUtf8Async(wire, "a", message), StringComparison.Ordinal);
        await wire.CommandAsync("s SELECT INBOX");
        var fetched = await wire.CommandAsync("f FETCH 1 (RFC822.SIZE BODY.PEEK[])");
        Assert.StartsWith($"* 1 FETCH (RFC822.SIZE {message.Length} BODY[] {{{message.Length}}}", fetched[0], StringComparison.Ordinal);
        Assert.Contains("Subject: 会議の件", fetched);

        // RFC 6855 §4: utf8-literal is also a CATENATE part.
        var text = Encoding.UTF8.GetBytes("Subject: 続き\r\n\r\n");
        await wire.SendAsync($"c APPEND INBOX CATENATE (UTF8 (~{{{text.Length}+}}\r\n");
        await wire.SendAsync(text);
        await wire.SendAsync("))\r\n");
        Assert.StartsWith("c OK [APPENDUID ", (await wire.ReadUntilTaggedAsync("c"))[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_with_a_charset_is_refused_once_utf8_is_accepted()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        await wire.CommandAsync("s SELECT INBOX");
        Assert.StartsWith("a OK", await wire.ResultAsync("a SEARCH CHARSET UTF-8 SUBJECT x"), StringComparison.Ordinal);
        await wire.CommandAsync("e ENABLE UTF8=ACCEPT");
        Assert.StartsWith("b BAD", await wire.ResultAsync("b SEARCH CHARSET UTF-8 SUBJECT x"), StringComparison.Ordinal);
        Assert.StartsWith("c OK", await wire.ResultAsync("c SEARCH SUBJECT \"会議\""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mailkit_with_utf8_enabled_creates_lists_appends_and_searches_in_utf8()
    {
        using var client = await MailKitImap.LoggedInAsync(_server, "user4");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.UTF8Accept));
        await client.EnableUTF8Async();
        var folder = await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("請求書", true) ?? throw new InvalidOperationException("CREATE failed");
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("山田太郎", "yamada@example.jp"));
        message.To.Add(new MailboxAddress("user4", "user4@example.jp"));
        message.Subject = "十二月分の請求書";
        message.Body = new TextPart("plain") { Text = "添付をご確認ください。" };
        await folder.AppendAsync(message);

        await folder.OpenAsync(FolderAccess.ReadOnly);
        var uid = Assert.Single(await folder.SearchAsync(SearchQuery.SubjectContains("請求書")));
        var envelope = Assert.Single(await folder.FetchAsync([uid], MessageSummaryItems.Envelope)).Envelope;
        Assert.NotNull(envelope);
        Assert.Equal("十二月分の請求書", envelope.Subject);
        Assert.Equal("山田太郎", envelope.From.Mailboxes.Single().Name);
        await client.DisconnectAsync(true);

        // A client without UTF8=ACCEPT sees the same folder through modified UTF-7 (MailKit decodes it).
        using var plain = await MailKitImap.LoggedInAsync(_server, "user4");
        var names = (await plain.GetFoldersAsync(plain.PersonalNamespaces[0])).Select(f => f.FullName);
        Assert.Contains("請求書", names);
        await plain.DisconnectAsync(true);
    }

    [Fact]
    public async Task Rev2_select_names_the_mailbox_and_drops_recent_and_unseen()
    {
        await _server.DeliverAsync("user5", "first");
        await _server.DeliverAsync("user5", "second");
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await wire.CommandAsync("e ENABLE IMAP4rev2");

        var select = await wire.CommandAsync("s SELECT inbox");
        Assert.Contains("* LIST () \".\" INBOX", select);
        Assert.Contains("* 2 EXISTS", select);
        Assert.DoesNotContain(select, l => l.EndsWith(" RECENT", StringComparison.Ordinal) || l.Contains("[UNSEEN", StringComparison.Ordinal));
        var fetched = await wire.CommandAsync("f FETCH 1:* FLAGS");
        Assert.Equal(["* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())"], fetched[..^1]);

        // RFC 9051 §6.3.2: a second SELECT closes the first with [CLOSED].
        Assert.Equal("* OK [CLOSED] Previous mailbox closed.", (await wire.CommandAsync("x EXAMINE INBOX"))[0]);
    }

    [Fact]
    public async Task Rev2_search_answers_in_esearch_with_the_tag_and_uid_marker()
    {
        await _server.DeliverAsync("user5", "alpha");
        await _server.DeliverAsync("user5", "beta");
        await _server.DeliverAsync("user5", "alpha again");
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await wire.CommandAsync("e ENABLE IMAP4rev2");
        await wire.CommandAsync("s SELECT INBOX");

        Assert.Equal(["* ESEARCH (TAG \"a\") ALL 1,3", "a OK Search completed."], await wire.CommandAsync("a SEARCH SUBJECT alpha"));
        Assert.Equal(["* ESEARCH (TAG \"b\") UID ALL 1:3", "b OK Search completed."], await wire.CommandAsync("b UID SEARCH ALL"));
        Assert.Equal(["* ESEARCH (TAG \"c\") UID", "c OK Search completed."], await wire.CommandAsync("c UID SEARCH SUBJECT gamma"));
        Assert.Equal(["* ESEARCH (TAG \"d\") COUNT 2", "d OK Search completed."], await wire.CommandAsync("d SEARCH RETURN (COUNT) SUBJECT alpha"));

        // A session that did not enable IMAP4rev2 keeps RFC 3501's SEARCH response.
        await using var rev1 = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await rev1.CommandAsync("s EXAMINE INBOX");
        Assert.Equal(["* SEARCH 1 3", "a OK Search completed."], await rev1.CommandAsync("a SEARCH SUBJECT alpha"));
    }

    [Fact]
    public async Task Rev2_status_counts_deleted_messages()
    {
        await _server.DeliverAsync("user5", "doomed");
        await _server.DeliverAsync("user5", "kept");
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await wire.CommandAsync("e ENABLE IMAP4rev2");
        await wire.CommandAsync("s SELECT INBOX");
        await wire.CommandAsync("d STORE 1 +FLAGS.SILENT (\\Deleted)");
        await wire.CommandAsync("u UNSELECT");
        Assert.Equal(["* STATUS INBOX (MESSAGES 2 DELETED 1)", "t OK Status completed."], await wire.CommandAsync("t STATUS INBOX (MESSAGES DELETED)"));
    }

    private static async Task<string> AppendUtf8Async(ImapWire wire, string tag, byte[] message)
    {
        await wire.SendAsync($"{tag} APPEND INBOX UTF8 (~{{{message.Length}+}}\r\n");
        await wire.SendAsync(message);
        await wire.SendAsync(")\r\n");
        return (await wire.ReadUntilTaggedAsync(tag))[^1];
    }
}
