using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>MULTIAPPEND (RFC 3502) with MailKit and on the wire, and CATENATE (RFC 4469) on the wire.</summary>
public sealed partial class ImapAppendExtensionsTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static MimeMessage Message(string subject) =>
        MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes($"From: a@example.org\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n")));

    [Fact]
    public async Task MailKit_appends_three_messages_in_one_command_with_their_flags()
    {
        using var client = await MailKitImap.LoggedInAsync(_server, "user1");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.MultiAppend));

        var drafts = await client.GetFolderAsync("Drafts");
        var uids = await drafts.AppendAsync(
            [new AppendRequest(Message("one"), MessageFlags.Seen), new AppendRequest(Message("two"), MessageFlags.Draft), new AppendRequest(Message("three"))]);

        Assert.Equal([1u, 2, 3], uids.Select(u => u.Id));
        await drafts.OpenAsync(FolderAccess.ReadOnly);
        var summaries = await drafts.FetchAsync(0, -1, MessageSummaryItems.Flags | MessageSummaryItems.Envelope);
        Assert.Equal(["one", "two", "three"], summaries.Select(s => s.Envelope?.Subject));
        Assert.True(summaries[0].Flags!.Value.HasFlag(MessageFlags.Seen));
        Assert.True(summaries[1].Flags!.Value.HasFlag(MessageFlags.Draft));
    }

    [Fact]
    public async Task A_multiappend_with_one_bad_message_stores_none_of_them()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
        await wire.SendAsync("a APPEND Drafts {12+}\r\nSubject: x\r\n (\\Seen) {0+}\r\n\r\n");
        Assert.StartsWith("a NO", (await wire.ReadUntilTaggedAsync("a"))[^1], StringComparison.Ordinal);
        Assert.Contains("* STATUS Drafts (MESSAGES 0)", await wire.CommandAsync("b STATUS Drafts (MESSAGES)"));

        await wire.SendAsync("c APPEND Drafts {12+}\r\nSubject: x\r\n (\\Seen) \"01-Nov-2026 10:00:00 +0000\" {12+}\r\nSubject: y\r\n\r\n");
        Assert.Matches(@"^c OK \[APPENDUID \d+ 1:2\] Append completed\.$", (await wire.ReadUntilTaggedAsync("c"))[^1]);
    }

    [Fact]
    public async Task Catenate_joins_literal_text_and_parts_of_stored_messages_named_by_imap_urls()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        var original = "From: a@example.org\r\nSubject: original\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst part\r\n--b\r\n\r\nsecond part\r\n--b--\r\n";
        await wire.SendAsync($"a APPEND INBOX {{{original.Length}+}}\r\n{original}\r\n");
        var appended = (await wire.ReadUntilTaggedAsync("a"))[^1];
        var validity = AppendUid().Match(appended).Groups[1].Value;

        const string header = "From: b@example.org\r\nSubject: forward\r\n\r\n";
        await wire.SendAsync(
            $"b APPEND INBOX CATENATE (TEXT {{{header.Length}+}}\r\n{header} URL \"/INBOX;UIDVALIDITY={validity}/;UID=1/;SECTION=2\" " +
            $"TEXT {{2+}}\r\n\r\n URL \"imap://user3@localhost/INBOX/;UID=1/;SECTION=1/;PARTIAL=0.5\")\r\n");
        Assert.StartsWith("b OK [APPENDUID", (await wire.ReadUntilTaggedAsync("b"))[^1], StringComparison.Ordinal);

        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        var fetched = await wire.CommandAsync("f FETCH 2 BODY.PEEK[]");
        Assert.Equal($"* 2 FETCH (BODY[] {{{header.Length + "second part\r\nfirst".Length}}}", fetched[0]);
        Assert.Equal("second part", fetched[4]);
        Assert.Equal("first)", fetched[5]);

        // Relative to the selected mailbox; a URL that names nothing is refused and nothing is stored.
        await wire.SendAsync($"r APPEND INBOX CATENATE (URL \";UID=1/;SECTION=1\")\r\n");
        Assert.StartsWith("r OK [APPENDUID", (await wire.ReadUntilTaggedAsync("r"))[^1], StringComparison.Ordinal);
        await wire.SendAsync("x APPEND INBOX CATENATE (URL \"/INBOX/;UID=99\")\r\n");
        Assert.Equal("x NO [BADURL /INBOX/;UID=99] The URL names no message or part here.", (await wire.ReadUntilTaggedAsync("x"))[^1]);
        await wire.SendAsync($"y APPEND INBOX CATENATE (URL \"/INBOX;UIDVALIDITY=1{validity}/;UID=1\")\r\n");
        Assert.StartsWith("y NO [BADURL", (await wire.ReadUntilTaggedAsync("y"))[^1], StringComparison.Ordinal);
        Assert.Contains("* STATUS INBOX (MESSAGES 3)", await wire.CommandAsync("z STATUS INBOX (MESSAGES)"));
    }

    [GeneratedRegex(@"APPENDUID (\d+) ")]
    private static partial Regex AppendUid();
}
