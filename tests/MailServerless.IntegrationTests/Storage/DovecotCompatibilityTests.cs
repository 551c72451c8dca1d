using System.Globalization;
using System.Text.RegularExpressions;
using MailServerless.Core.Storage;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Storage;

/// <summary>
/// Our store and the real Dovecot on one Maildir: what Dovecot delivered and indexed we read with
/// the same UIDs and flags; what we wrote Dovecot reads with the same messages, flags and UIDs.
/// </summary>
public sealed class DovecotCompatibilityTests : IDisposable
{
    private readonly TempStore _store = new();
    private readonly DovecotMail _dovecot;

    public DovecotCompatibilityTests()
    {
        Directory.CreateDirectory(_store.Root());
        _dovecot = new DovecotMail(_store.Root());
    }

    public void Dispose()
    {
        _dovecot.Dispose();
        _store.Dispose();
    }

    private async Task<MaildirFolder> OurFolderAsync(string name = "INBOX")
    {
        DovecotMail.TakeBack(_store.Root());
        return await _store.Store.OpenMailbox("example.jp/user1/").OpenFolderAsync(name);
    }

    private static string[] Flags(MaildirMessage message)
    {
        var flags = new List<string>();
        if (message.Flags.HasFlag(MessageFlags.Seen)) flags.Add("\\Seen");
        if (message.Flags.HasFlag(MessageFlags.Answered)) flags.Add("\\Answered");
        if (message.Flags.HasFlag(MessageFlags.Flagged)) flags.Add("\\Flagged");
        if (message.Flags.HasFlag(MessageFlags.Deleted)) flags.Add("\\Deleted");
        if (message.Flags.HasFlag(MessageFlags.Draft)) flags.Add("\\Draft");
        flags.AddRange(message.Keywords);
        return flags.Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public async Task Maildir_dovecot_delivered_and_flagged_is_read_with_the_same_uids_and_flags()
    {
        for (var i = 1; i <= 4; i++)
        {
            _dovecot.Deliver(DovecotMail.Message($"dovecot {i}"));
        }

        // One session per step: Dovecot runs pipelined commands concurrently.
        _dovecot.Imap("a SELECT INBOX", "b UID STORE 1 +FLAGS (\\Seen)");
        _dovecot.Imap("a SELECT INBOX", "b UID STORE 2 +FLAGS (\\Flagged \\Answered $Label1 Work)");
        _dovecot.Imap("a SELECT INBOX", "b UID STORE 3 +FLAGS (\\Deleted)");
        _dovecot.Imap("a SELECT INBOX", "b EXPUNGE");
        _dovecot.Deliver(DovecotMail.Message("dovecot 5, after the expunge"));
        var expected = _dovecot.FetchFlags();

        var folder = await OurFolderAsync();

        Assert.Equal([1u, 2u, 4u, 5u], expected.Keys);
        Assert.Equal(expected.Keys, folder.Messages.Select(m => m.Uid));
        foreach (var message in folder.Messages)
        {
            Assert.Equal(expected[message.Uid], Flags(message));
        }

        var uidValidity = Regex.Match(_dovecot.Imap("a SELECT INBOX"), @"UIDVALIDITY (\d+)").Groups[1].Value;
        Assert.Equal(uint.Parse(uidValidity, CultureInfo.InvariantCulture), folder.UidValidity);
        Assert.Equal(6u, folder.NextUid);
    }

    [Fact]
    public async Task Maildir_we_wrote_is_read_by_dovecot_with_the_same_messages_flags_and_uids()
    {
        for (var i = 1; i <= 4; i++)
        {
            await _store.DeliverAsync($"q{i}", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(DovecotMail.Message($"ours {i}"))));
        }

        var mailbox = _store.Store.OpenMailbox("example.jp/user1/");
        mailbox.EnsureCreated();
        var folder = await mailbox.OpenFolderAsync("INBOX");
        await folder.TakeNewAsync();
        await folder.SetFlagsAsync(1, MessageFlags.Seen, []);
        await folder.SetFlagsAsync(2, MessageFlags.Answered | MessageFlags.Flagged, ["$Label1", "Work"]);
        await folder.ExpungeAsync([3]);
        await _store.DeliverAsync("q5", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(DovecotMail.Message("ours 5, still in new/"))));
        await folder.SyncAsync();
        var sent = await mailbox.OpenFolderAsync("Sent");
        await sent.AppendAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(DovecotMail.Message("sent"))), MessageFlags.Seen, [], null);

        var dovecotInbox = _dovecot.FetchFlags();
        var transcript = _dovecot.Imap(
            "a SELECT INBOX",
            "b UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
            "c STATUS Sent (MESSAGES UIDVALIDITY UIDNEXT)",
            "d LIST \"\" \"*\"");

        Assert.Equal(folder.Messages.Select(m => m.Uid), dovecotInbox.Keys);
        foreach (var message in folder.Messages)
        {
            Assert.Equal(Flags(message), dovecotInbox[message.Uid]);
            Assert.Contains($"UID {message.Uid} RFC822.SIZE {folder.GetVirtualSize(message)}", transcript, StringComparison.Ordinal);
        }

        Assert.Contains($"UIDVALIDITY {folder.UidValidity}]", transcript, StringComparison.Ordinal);
        Assert.Contains("Subject: ours 5, still in new/", transcript, StringComparison.Ordinal);
        Assert.Contains($"* STATUS Sent (MESSAGES 1 UIDNEXT 2 UIDVALIDITY {sent.UidValidity})", transcript, StringComparison.Ordinal);
        foreach (var name in new[] { "Sent", "Drafts", "Trash", "Junk" })
        {
            Assert.Contains($"\".\" {name}\r\n", transcript, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Uids_continue_across_both_servers_taking_turns()
    {
        await _store.DeliverAsync("ours-1");
        (await OurFolderAsync()).ToString();
        _dovecot.Deliver(DovecotMail.Message("theirs"));
        _dovecot.Imap("a SELECT INBOX");
        await _store.DeliverAsync("ours-2");

        var folder = await OurFolderAsync();
        var dovecot = _dovecot.FetchFlags();

        Assert.Equal([1u, 2u, 3u], folder.Messages.Select(m => m.Uid));
        Assert.Equal([1u, 2u, 3u], dovecot.Keys);
    }
}
