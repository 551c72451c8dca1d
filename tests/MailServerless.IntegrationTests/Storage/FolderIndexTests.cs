using MailServerless.Core.Storage;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Storage;

/// <summary>The folder's persistent index (msl-index): mod-sequences that survive restarts, rebuilds and other writers.</summary>
public sealed class FolderIndexTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private string IndexPath => Path.Combine(_store.Root(), FolderIndex.FileName);

    /// <summary>A store of its own, as after a restart: nothing shared in memory with earlier opens.</summary>
    private Task<MaildirFolder> OpenAfterRestartAsync()
    {
        var store = new MaildirStore(_store.BasePath, "test.host", TimeProvider.System, NullLoggerFactory.Instance);
        return store.OpenMailbox("example.jp/user1/", default).OpenFolderAsync("INBOX");
    }

    private async Task<MaildirFolder> FolderWithThreeMessagesAsync()
    {
        await _store.DeliverAsync("a");
        await _store.DeliverAsync("b");
        await _store.DeliverAsync("c");
        return await OpenAfterRestartAsync();
    }

    [Fact]
    public async Task Every_message_gets_a_distinct_modseq_on_first_open_and_a_restart_keeps_them()
    {
        var folder = await FolderWithThreeMessagesAsync();
        var modSeqs = folder.Messages.Select(m => m.ModSeq).ToList();

        var reopened = await OpenAfterRestartAsync();

        Assert.All(modSeqs, m => Assert.True(m > 0));
        Assert.Equal(3, modSeqs.Distinct().Count());
        Assert.Equal(modSeqs.Max(), folder.HighestModSeq);
        Assert.Equal(modSeqs, reopened.Messages.Select(m => m.ModSeq));
        Assert.Equal(folder.HighestModSeq, reopened.HighestModSeq);
        Assert.True(File.Exists(IndexPath));
    }

    [Fact]
    public async Task A_flag_change_gets_a_modseq_above_every_earlier_one_and_other_sessions_read_the_same()
    {
        var folder = await FolderWithThreeMessagesAsync();
        var before = folder.HighestModSeq;
        var untouched = folder.Messages[0].ModSeq;

        await folder.SetFlagsAsync(2, MessageFlags.Seen, []);
        await folder.SyncAsync();
        var other = await OpenAfterRestartAsync();

        Assert.True(folder.FindByUid(2)!.ModSeq > before);
        Assert.Equal(folder.FindByUid(2)!.ModSeq, folder.HighestModSeq);
        Assert.Equal(untouched, folder.FindByUid(1)!.ModSeq);
        Assert.Equal(folder.FindByUid(2)!.ModSeq, other.FindByUid(2)!.ModSeq);
        Assert.Equal(folder.HighestModSeq, other.HighestModSeq);
    }

    [Fact]
    public async Task A_flag_change_made_by_another_program_renaming_the_file_gets_a_new_modseq()
    {
        var folder = await FolderWithThreeMessagesAsync();
        await folder.TakeNewAsync();
        var before = folder.HighestModSeq;
        var message = folder.FindByUid(3)!;

        // What Dovecot does for STORE +FLAGS (\Flagged): a rename in cur/.
        File.Move(folder.FilePath(message), Path.Combine(folder.Path, "cur", message.BaseName + ":2,F"));
        Directory.SetLastWriteTimeUtc(Path.Combine(folder.Path, "cur"), DateTime.UtcNow.AddSeconds(5));
        await folder.SyncAsync();

        Assert.Equal(MessageFlags.Flagged, folder.FindByUid(3)!.Flags);
        Assert.True(folder.FindByUid(3)!.ModSeq > before);
        Assert.Equal((await OpenAfterRestartAsync()).FindByUid(3)!.ModSeq, folder.FindByUid(3)!.ModSeq);
    }

    [Fact]
    public async Task An_expunge_is_remembered_with_its_modseq_for_vanished_reports()
    {
        var folder = await FolderWithThreeMessagesAsync();
        var before = folder.HighestModSeq;

        await folder.ExpungeAsync([2u]);
        var reopened = await OpenAfterRestartAsync();

        Assert.True(folder.HighestModSeq > before);
        Assert.Equal([2u], folder.ExpungedSince(before));
        Assert.Equal([2u], reopened.ExpungedSince(before));
        Assert.Empty(reopened.ExpungedSince(reopened.HighestModSeq)!);
    }

    [Fact]
    public async Task A_deleted_index_is_rebuilt_with_the_same_uids_and_modseqs_above_all_earlier_ones()
    {
        var folder = await FolderWithThreeMessagesAsync();
        await folder.SetFlagsAsync(1, MessageFlags.Seen, []);
        await folder.SyncAsync();
        var uids = folder.Messages.Select(m => m.Uid).ToList();
        var highest = folder.HighestModSeq;

        File.Delete(IndexPath);
        var rebuilt = await OpenAfterRestartAsync();

        Assert.Equal(uids, rebuilt.Messages.Select(m => m.Uid));
        Assert.Equal(folder.UidValidity, rebuilt.UidValidity);
        Assert.All(rebuilt.Messages, m => Assert.True(m.ModSeq > highest));
        Assert.True(rebuilt.HighestModSeq > highest);
        Assert.True(File.Exists(IndexPath));
        // Nothing expunged is claimed, and a client whose modseq predates the rebuild is told to look at everything.
        Assert.Null(rebuilt.ExpungedSince(highest));
    }

    [Theory]
    [InlineData("scribbled")]
    [InlineData("truncated header")]
    [InlineData("garbage")]
    public async Task A_corrupted_index_is_rebuilt_with_the_same_uids_and_modseqs_never_going_backwards(string damage)
    {
        var folder = await FolderWithThreeMessagesAsync();
        var uids = folder.Messages.Select(m => m.Uid).ToList();
        var highest = folder.HighestModSeq;
        var text = await File.ReadAllTextAsync(IndexPath);
        var damaged = damage switch
        {
            // One digit changed in a record: the line's checksum no longer matches.
            "scribbled" => text.Replace($"2 {folder.FindByUid(2)!.ModSeq} ", $"2 {folder.FindByUid(2)!.ModSeq - 5} ", StringComparison.Ordinal),
            "truncated header" => text[..10],
            _ => "\0\0\0 not an index at all \u00ff\n",
        };
        Assert.NotEqual(text, damaged);
        await File.WriteAllTextAsync(IndexPath, damaged);

        var rebuilt = await OpenAfterRestartAsync();

        Assert.Equal(uids, rebuilt.Messages.Select(m => m.Uid));
        Assert.All(rebuilt.Messages, m => Assert.True(m.ModSeq > highest));
        Assert.True(rebuilt.HighestModSeq > highest);
        Assert.Equal(rebuilt.Messages.Select(m => m.ModSeq), (await OpenAfterRestartAsync()).Messages.Select(m => m.ModSeq));
    }

    [Fact]
    public async Task A_torn_last_line_is_ignored_and_the_index_written_whole_on_the_next_change()
    {
        var folder = await FolderWithThreeMessagesAsync();
        var modSeqs = folder.Messages.Select(m => m.ModSeq).ToList();
        await File.AppendAllTextAsync(IndexPath, "3 99999999999 FS #1234");

        var reopened = await OpenAfterRestartAsync();
        Assert.Equal(modSeqs, reopened.Messages.Select(m => m.ModSeq));
        await reopened.SetFlagsAsync(3, MessageFlags.Seen, []);
        await reopened.SyncAsync();
        var changed = reopened.FindByUid(3)!.ModSeq;

        var again = await OpenAfterRestartAsync();
        Assert.Equal(modSeqs.Take(2), again.Messages.Take(2).Select(m => m.ModSeq));
        Assert.Equal(changed, again.FindByUid(3)!.ModSeq);
        Assert.DoesNotContain("99999999999", await File.ReadAllTextAsync(IndexPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_mail_and_appended_mail_get_modseqs_above_the_folder_highest()
    {
        var folder = await FolderWithThreeMessagesAsync();
        var before = folder.HighestModSeq;

        await _store.DeliverAsync("d");
        await folder.SyncAsync();
        var uid = await folder.AppendAsync(TempStore.Message("appended"), MessageFlags.Seen, [], null);

        Assert.True(folder.FindByUid(4)!.ModSeq > before);
        Assert.True(folder.FindByUid(uid!.Value)!.ModSeq > folder.FindByUid(4)!.ModSeq);
        Assert.Equal(folder.FindByUid(uid.Value)!.ModSeq, folder.HighestModSeq);
    }

    [Fact]
    public async Task A_new_uidvalidity_starts_a_new_index()
    {
        var folder = await FolderWithThreeMessagesAsync();
        var highest = folder.HighestModSeq;

        File.Delete(Path.Combine(folder.Path, UidList.FileName));
        var renumbered = await OpenAfterRestartAsync();

        Assert.NotEqual(folder.UidValidity, renumbered.UidValidity);
        Assert.True(renumbered.HighestModSeq > highest);
        Assert.Null(renumbered.ExpungedSince(highest));
    }

    [Fact]
    public async Task A_folder_whose_index_cannot_be_written_still_works()
    {
        await _store.DeliverAsync("a");
        Directory.CreateDirectory(IndexPath); // a directory where the file should be: every write fails

        var folder = await OpenAfterRestartAsync();
        await folder.SetFlagsAsync(1, MessageFlags.Seen, []);
        await folder.SyncAsync();

        Assert.Equal([1u], folder.Messages.Select(m => m.Uid));
        Assert.Equal(MessageFlags.Seen, folder.FindByUid(1)!.Flags);
        Assert.Empty(Directory.GetFiles(Path.Combine(folder.Path, "tmp")));
    }

    [Fact]
    public async Task A_session_already_open_reads_what_another_appended_and_gives_the_same_modseq()
    {
        var mine = await FolderWithThreeMessagesAsync();
        var theirs = await OpenAfterRestartAsync();

        await theirs.SetFlagsAsync(2, MessageFlags.Flagged, []);
        await theirs.SyncAsync();
        Directory.SetLastWriteTimeUtc(Path.Combine(mine.Path, "cur"), DateTime.UtcNow.AddSeconds(5));
        await mine.SyncAsync();

        Assert.Equal(MessageFlags.Flagged, mine.FindByUid(2)!.Flags);
        Assert.Equal(theirs.FindByUid(2)!.ModSeq, mine.FindByUid(2)!.ModSeq);
        Assert.Equal(theirs.HighestModSeq, mine.HighestModSeq);
        Assert.Single(File.ReadAllLines(IndexPath), l => l.StartsWith($"2 {theirs.FindByUid(2)!.ModSeq} ", StringComparison.Ordinal));
    }
}
