using System.Text;
using MailServerless.Core.Storage;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Storage;

public sealed class MaildirFolderTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private MaildirMailbox Mailbox(QuotaLimit quota = default)
    {
        var mailbox = _store.Store.OpenMailbox("example.jp/user1/", quota);
        mailbox.EnsureCreated();
        return mailbox;
    }

    private string UidListText => File.ReadAllText(Path.Combine(_store.Root(), UidList.FileName));

    [Fact]
    public async Task Delivered_messages_get_uids_in_delivery_order_persisted_in_dovecot_uidlist()
    {
        await _store.DeliverAsync("a");
        await _store.DeliverAsync("b");

        var folder = await Mailbox().OpenFolderAsync("INBOX");

        Assert.Equal([1u, 2u], folder.Messages.Select(m => m.Uid));
        Assert.Equal(3u, folder.NextUid);
        Assert.Matches(@"^3 V\d+ N\d+ G[0-9a-f]{32}\n1 :\S+,S=\d+,W=\d+\n2 :\S+\n$", UidListText);
    }

    [Fact]
    public async Task Uids_and_uidvalidity_are_stable_across_opens_and_new_mail_continues_them()
    {
        await _store.DeliverAsync("a");
        var first = await Mailbox().OpenFolderAsync("INBOX");
        await _store.DeliverAsync("b");

        var second = await Mailbox().OpenFolderAsync("INBOX");
        var changes = await first.SyncAsync();

        Assert.Equal(first.UidValidity, second.UidValidity);
        Assert.Equal([1u, 2u], second.Messages.Select(m => m.Uid));
        Assert.Equal([2u], changes.Added.Select(m => m.Uid));
        Assert.Equal(first.Messages.Select(m => m.Uid), second.Messages.Select(m => m.Uid));
    }

    [Fact]
    public async Task New_mail_seen_through_the_incremental_sync_gets_the_uids_another_session_appended()
    {
        await _store.DeliverAsync("a");
        var mine = await Mailbox().OpenFolderAsync("INBOX");
        await mine.TakeNewAsync();
        // Age cur/ past the timestamp slack so that only new/ is listed again.
        Directory.SetLastWriteTimeUtc(Path.Combine(_store.Root(), "cur"), DateTime.UtcNow.AddHours(-1));
        await mine.SyncAsync();

        await _store.DeliverAsync("b");
        await _store.DeliverAsync("c");
        var theirs = await Mailbox().OpenFolderAsync("INBOX");
        await _store.DeliverAsync("d");
        var changes = await mine.SyncAsync();

        Assert.Equal([2u, 3u, 4u], changes.Added.Select(m => m.Uid));
        Assert.Equal([1u, 2u, 3u, 4u], mine.Messages.Select(m => m.Uid));
        Assert.Equal(theirs.Messages.Select(m => m.BaseName), mine.Messages.Take(3).Select(m => m.BaseName));
        Assert.Equal(mine.Messages[3].BaseName, (await Mailbox().OpenFolderAsync("INBOX")).FindByUid(4)!.BaseName);
        Assert.Equal(FolderChanges.None, await mine.SyncAsync());
    }

    [Fact]
    public async Task Taking_new_mail_moves_it_to_cur_with_an_empty_info_and_keeps_the_uid()
    {
        await _store.DeliverAsync("a");
        var folder = await Mailbox().OpenFolderAsync("INBOX");

        var recent = await folder.TakeNewAsync();

        Assert.Equal([1u], recent);
        Assert.Empty(_store.Files("new"));
        Assert.EndsWith(":2,", Assert.Single(_store.Files("cur")), StringComparison.Ordinal);
        Assert.Equal(1u, Assert.Single(folder.Messages).Uid);
        Assert.False(folder.Messages[0].InNew);
    }

    [Fact]
    public async Task Flags_and_keywords_are_set_by_renaming_and_keywords_are_listed_in_dovecot_keywords()
    {
        await _store.DeliverAsync("a");
        var folder = await Mailbox().OpenFolderAsync("INBOX");

        var message = await folder.SetFlagsAsync(1, MessageFlags.Seen | MessageFlags.Flagged, ["$Label1", "Work"]);

        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, message!.Flags);
        Assert.Equal(["$Label1", "Work"], message.Keywords);
        Assert.EndsWith(":2,FSab", Assert.Single(_store.Files("cur")), StringComparison.Ordinal);
        Assert.Equal("0 $Label1\n1 Work\n", await File.ReadAllTextAsync(Path.Combine(_store.Root(), KeywordList.FileName)));

        var reopened = await Mailbox().OpenFolderAsync("INBOX");
        Assert.Equal(["$Label1", "Work"], reopened.Messages[0].Keywords);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, reopened.Messages[0].Flags);
    }

    [Fact]
    public async Task Flag_change_by_another_session_is_seen_on_sync()
    {
        await _store.DeliverAsync("a");
        var mine = await Mailbox().OpenFolderAsync("INBOX");
        var theirs = await Mailbox().OpenFolderAsync("INBOX");

        await theirs.SetFlagsAsync(1, MessageFlags.Seen, []);
        var changes = await mine.SyncAsync();

        Assert.Equal(MessageFlags.Seen, Assert.Single(changes.FlagsChanged).Flags);
    }

    [Fact]
    public async Task Flag_change_on_a_message_another_session_renamed_meanwhile_still_applies()
    {
        await _store.DeliverAsync("a");
        var mine = await Mailbox().OpenFolderAsync("INBOX");
        var theirs = await Mailbox().OpenFolderAsync("INBOX");
        await theirs.SetFlagsAsync(1, MessageFlags.Seen, []);

        var result = await mine.SetFlagsAsync(1, MessageFlags.Answered, []);

        Assert.Equal(MessageFlags.Answered, result!.Flags);
        Assert.Single(_store.Files("cur"));
    }

    [Fact]
    public async Task Expunge_removes_the_file_reports_the_uid_and_frees_quota()
    {
        var limit = new QuotaLimit(1_000_000);
        await _store.DeliverAsync("a", limit: limit);
        await _store.DeliverAsync("b", limit: limit);
        var mailbox = Mailbox(limit);
        var folder = await mailbox.OpenFolderAsync("INBOX");
        var other = await mailbox.OpenFolderAsync("INBOX");

        var removed = await folder.ExpungeAsync([1]);
        var seenByOther = await other.SyncAsync();

        Assert.Equal([1u], removed);
        Assert.Equal([2u], folder.Messages.Select(m => m.Uid));
        Assert.Equal([1u], seenByOther.Expunged);
        Assert.Equal(1, (await mailbox.GetQuotaUsageAsync()).Messages);
        Assert.Single(_store.Files("new"));
    }

    [Fact]
    public async Task Expunged_files_are_held_aside_for_sessions_that_still_show_them_and_pruned_later()
    {
        await _store.DeliverAsync("a");
        await _store.DeliverAsync("b");
        var folder = await Mailbox().OpenFolderAsync("INBOX");
        var first = folder.Messages[0];
        var held = Path.Combine(_store.Root(), MaildirFolder.HeldDirectory);

        await folder.ExpungeAsync([1]);

        // Gone from new/ and cur/ (so from Dovecot's view and the quota), still readable where it was held.
        Assert.Single(_store.Files("new"));
        Assert.StartsWith(held, folder.ReadablePath(first), StringComparison.Ordinal);
        Assert.Contains("a", await File.ReadAllTextAsync(folder.ReadablePath(first)), StringComparison.Ordinal);

        // One held longer than the hold time (its name starts with the second it was held) goes at the next expunge.
        await File.WriteAllTextAsync(Path.Combine(held, "1-1700000000.M1P1.old:2,"), "old");
        await folder.ExpungeAsync([2]);
        Assert.Equal(2, Directory.GetFiles(held).Length);
        Assert.DoesNotContain(Directory.GetFiles(held), f => f.EndsWith(".old:2,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_another_session_renamed_since_the_last_sync_is_still_read()
    {
        await _store.DeliverAsync("a");
        var mine = await Mailbox().OpenFolderAsync("INBOX");
        await mine.TakeNewAsync();
        var stale = mine.Messages[0];
        var theirs = await Mailbox().OpenFolderAsync("INBOX");
        await theirs.SetFlagsAsync(stale.Uid, MessageFlags.Seen, []);

        using (var reader = new StreamReader(mine.OpenRead(stale)))
        {
            Assert.Contains("Body line 1", await reader.ReadToEndAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(MessageFlags.Seen, mine.FindByUid(stale.Uid)!.Flags);
        Assert.True(mine.GetInternalDate(stale) > DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public async Task Two_sessions_expunging_the_same_message_free_its_quota_once()
    {
        var limit = new QuotaLimit(1_000_000);
        await _store.DeliverAsync("a", limit: limit);
        await _store.DeliverAsync("b", limit: limit);
        var mailbox = Mailbox(limit);
        var one = await mailbox.OpenFolderAsync("INBOX");
        var two = await mailbox.OpenFolderAsync("INBOX");

        var first = await one.ExpungeAsync([1]);
        var second = await two.ExpungeAsync([1]);

        Assert.Equal([1u], first);
        Assert.Empty(second);
        var lines = (await File.ReadAllTextAsync(Path.Combine(_store.Root(), MaildirQuota.FileName))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.StartsWith('-'));
    }

    [Fact]
    public async Task Half_written_last_line_in_the_uidlist_is_repaired_without_renumbering()
    {
        await _store.DeliverAsync("a");
        await _store.DeliverAsync("b");
        var before = (await Mailbox().OpenFolderAsync("INBOX")).Messages.Select(m => (m.Uid, m.BaseName)).ToList();
        await File.AppendAllTextAsync(Path.Combine(_store.Root(), UidList.FileName), "3 :half-writ");
        await _store.DeliverAsync("c");

        var folder = await Mailbox().OpenFolderAsync("INBOX");

        Assert.Equal(before, folder.Messages.Take(2).Select(m => (m.Uid, m.BaseName)));
        Assert.Equal(3u, folder.Messages[2].Uid);
        Assert.EndsWith("\n", UidListText, StringComparison.Ordinal);
        Assert.DoesNotContain("half-writ", UidListText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uids_are_never_reused_after_the_last_message_is_expunged()
    {
        await _store.DeliverAsync("a");
        await _store.DeliverAsync("b");
        var folder = await Mailbox().OpenFolderAsync("INBOX");
        await folder.ExpungeAsync([2]);

        await _store.DeliverAsync("c");
        await folder.SyncAsync();

        Assert.Equal([1u, 3u], folder.Messages.Select(m => m.Uid));
    }

    [Fact]
    public async Task Append_stores_flags_and_internal_date_and_returns_the_uid()
    {
        var folder = await Mailbox().OpenFolderAsync("Sent");
        var date = new DateTimeOffset(2020, 2, 3, 4, 5, 6, TimeSpan.Zero);

        var uid = await folder.AppendAsync(TempStore.Message(), MessageFlags.Seen, [], date);

        var message = folder.FindByUid(uid!.Value)!;
        Assert.Equal(1u, uid);
        Assert.Equal(MessageFlags.Seen, message.Flags);
        Assert.Equal(date, folder.GetInternalDate(message));
        Assert.EndsWith(":2,S", message.FileName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_over_quota_is_refused_and_leaves_nothing()
    {
        var folder = await Mailbox(new QuotaLimit(50)).OpenFolderAsync("INBOX");

        var uid = await folder.AppendAsync(TempStore.MessageOfSize(200), MessageFlags.None, [], null);

        Assert.Null(uid);
        Assert.Empty(folder.Messages);
        Assert.Empty(_store.Files("tmp"));
    }

    [Fact]
    public async Task Copy_hard_links_into_the_target_with_flags_and_keywords_and_a_new_uid()
    {
        await _store.DeliverAsync("a");
        var mailbox = Mailbox();
        var inbox = await mailbox.OpenFolderAsync("INBOX");
        await inbox.SetFlagsAsync(1, MessageFlags.Seen, ["Work"]);
        var trash = await mailbox.OpenFolderAsync("Trash");

        var uid = await inbox.CopyToAsync(1, trash);

        var copy = trash.FindByUid(uid!.Value)!;
        Assert.Equal(MessageFlags.Seen, copy.Flags);
        Assert.Equal(["Work"], copy.Keywords);
        Assert.Single(inbox.Messages);
        Assert.Equal(2, LinkCount(trash.FilePath(copy)));
        Assert.Equal(2, (await mailbox.GetQuotaUsageAsync()).Messages);
    }

    [Fact]
    public async Task Move_renames_into_the_target_and_the_source_sees_an_expunge()
    {
        await _store.DeliverAsync("a");
        var mailbox = Mailbox();
        var inbox = await mailbox.OpenFolderAsync("INBOX");
        var junk = await mailbox.OpenFolderAsync("Junk");

        var uid = await inbox.MoveToAsync(1, junk);

        Assert.Equal(1u, uid);
        Assert.Empty(inbox.Messages);
        Assert.Single(junk.Messages);
        Assert.Equal(1, (await mailbox.GetQuotaUsageAsync()).Messages);
    }

    [Fact]
    public async Task Damaged_uidlist_keeps_every_readable_uid_and_gives_the_rest_new_ones()
    {
        foreach (var id in new[] { "a", "b", "c" })
        {
            await _store.DeliverAsync(id);
        }

        var before = (await Mailbox().OpenFolderAsync("INBOX")).Messages.ToList();
        var lines = UidListText.Split('\n');
        await File.WriteAllTextAsync(Path.Combine(_store.Root(), UidList.FileName), $"{lines[0]}\n{lines[1]}\n###garbage###\n{lines[3]}\n");

        var after = await Mailbox().OpenFolderAsync("INBOX");

        Assert.Equal(before[0].Uid, after.FindByUid(1)!.Uid);
        Assert.Equal(before[2].BaseName, after.FindByUid(3)!.BaseName);
        Assert.Equal(before[1].BaseName, after.FindByUid(4)!.BaseName);
        Assert.Equal(before.Count, after.Messages.Count);
        Assert.DoesNotContain("garbage", UidListText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stale_uidlist_lock_from_a_crashed_holder_is_taken_over()
    {
        var root = _store.Root();
        MaildirLayout.EnsureFolder(root, "INBOX");
        var lockFile = Path.Combine(root, UidList.FileName + ".lock");
        await File.WriteAllTextAsync(lockFile, "99999:deadhost");
        File.SetLastWriteTimeUtc(lockFile, DateTime.UtcNow.AddMinutes(-10));
        await _store.DeliverAsync("a");

        var folder = await Mailbox().OpenFolderAsync("INBOX");

        Assert.Single(folder.Messages);
        Assert.False(File.Exists(lockFile));
    }

    [Fact]
    public async Task Lock_with_our_own_pid_from_before_this_process_started_is_taken_over()
    {
        // A container restarted with the same pid and host name finds its previous incarnation's lock.
        var root = _store.Root();
        Directory.CreateDirectory(root);
        var lockFile = Path.Combine(root, "msl-pop3.lock");
        await File.WriteAllTextAsync(lockFile, $"{Environment.ProcessId}:{Environment.MachineName}");
        File.SetLastWriteTimeUtc(lockFile, System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime().AddMinutes(-1));

        await using var taken = await DotLock.AcquireAsync(Path.Combine(root, "msl-pop3"), TimeSpan.Zero);

        Assert.True(File.Exists(lockFile));
    }

    [Fact]
    public async Task Lock_held_by_this_process_is_not_taken_over()
    {
        var root = _store.Root();
        Directory.CreateDirectory(root);
        await using var held = await DotLock.AcquireAsync(Path.Combine(root, "msl-pop3"), TimeSpan.Zero);

        await Assert.ThrowsAsync<TimeoutException>(() => DotLock.AcquireAsync(Path.Combine(root, "msl-pop3"), TimeSpan.Zero));
    }

    [Fact]
    public async Task Message_file_without_sizes_in_its_name_is_read_with_a_stat()
    {
        var root = _store.Root();
        MaildirLayout.EnsureFolder(root, "INBOX");
        await File.WriteAllTextAsync(Path.Combine(root, "cur", "1700000000.12345_1.courier:2,S"), "Subject: old\n\nbody\n");

        var folder = await Mailbox().OpenFolderAsync("INBOX");

        var message = Assert.Single(folder.Messages);
        Assert.Equal(19, folder.GetSize(message));
        Assert.Equal(22, folder.GetVirtualSize(message));
        Assert.Equal(MessageFlags.Seen, message.Flags);
    }

    [Fact]
    public async Task Default_folders_are_created_with_markers_and_subscribed_as_dovecot_writes_it()
    {
        var mailbox = Mailbox();

        Assert.Equal(["INBOX", "Drafts", "Junk", "Sent", "Trash"], mailbox.ListFolders());
        Assert.True(File.Exists(Path.Combine(_store.Root(), ".Sent", MaildirLayout.FolderMarker)));
        Assert.Equal("V\t2\n\nSent\nDrafts\nTrash\nJunk\n", await File.ReadAllTextAsync(Path.Combine(_store.Root(), Subscriptions.FileName)));
    }

    [Fact]
    public async Task Hierarchical_and_non_ascii_folders_are_stored_in_modified_utf7_with_tabs_in_subscriptions()
    {
        var mailbox = Mailbox();

        Assert.True(mailbox.CreateFolder("Foo.Bar"));
        Assert.True(mailbox.CreateFolder("日本語"));
        mailbox.Subscribe("Foo.Bar");
        mailbox.Subscribe("日本語");
        mailbox.Unsubscribe("Junk");

        Assert.True(Directory.Exists(Path.Combine(_store.Root(), ".Foo.Bar", "cur")));
        Assert.True(Directory.Exists(Path.Combine(_store.Root(), ".&ZeVnLIqe-", "cur")));
        Assert.Contains("日本語", mailbox.ListFolders());
        Assert.Equal("V\t2\n\nSent\nDrafts\nTrash\nFoo\tBar\n&ZeVnLIqe-\n",
            await File.ReadAllTextAsync(Path.Combine(_store.Root(), Subscriptions.FileName), Encoding.UTF8));
        Assert.Equal(["Sent", "Drafts", "Trash", "Foo.Bar", "日本語"], mailbox.GetSubscriptions());
    }

    [Fact]
    public async Task Rename_moves_sub_folders_and_a_recreated_folder_gets_a_new_uidvalidity()
    {
        var mailbox = Mailbox();
        mailbox.CreateFolder("A");
        mailbox.CreateFolder("A.B");
        var before = (await mailbox.OpenFolderAsync("A")).UidValidity;

        Assert.True(mailbox.RenameFolder("A", "C"));
        Assert.True(mailbox.CreateFolder("A"));
        var after = (await mailbox.OpenFolderAsync("A")).UidValidity;

        Assert.Contains("C.B", mailbox.ListFolders());
        Assert.DoesNotContain("A.B", mailbox.ListFolders());
        Assert.NotEqual(before, after);
        Assert.False(mailbox.DeleteFolder("INBOX"));
        Assert.True(mailbox.DeleteFolder("C.B"));
        Assert.DoesNotContain("C.B", mailbox.ListFolders());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("a..b")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void Folder_names_that_would_build_a_bad_path_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => Mailbox().CreateFolder(name));
    }

    private static int LinkCount(string path)
    {
        var result = ProcessRunner.RunAsync("stat", ["-c", "%h", path]).GetAwaiter().GetResult();
        return int.Parse(result.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
