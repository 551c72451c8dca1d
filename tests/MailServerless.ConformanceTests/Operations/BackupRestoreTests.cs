using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailServerless.ConformanceTests.Imap;
using MailServerless.Core.Backup;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// <c>admin backup</c> while the server runs, then the data lost (directory.db and the Maildirs deleted) and
/// <c>admin restore</c> with the server stopped: IMAP clients find the same UIDVALIDITY, the same UIDs for the same
/// messages, their flags and keywords, the same folders and subscriptions; the directory comes back (user1 logs in);
/// files are 0600 and folders 0700. A restore refuses while the server runs, and into a store that is not empty.
/// </summary>
public sealed class BackupRestoreTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;
    private string _archives = null!;

    public async Task InitializeAsync()
    {
        _server = await MailServerInstance.StartAsync();
        _archives = Directory.CreateTempSubdirectory("msl-archives-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_archives, recursive: true);
    }

    private Task<ProcessRunner.Result> AdminAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "admin", .. arguments, $"--Mail:DataDirectory={_server.DataDirectory}"],
            timeout: TimeSpan.FromMinutes(2));

    [Theory]
    [InlineData("mail.tar")]
    [InlineData("mail.tar.gz")]
    public async Task A_restore_gives_clients_the_same_uids_flags_and_folders_and_the_directory_back(string archiveName)
    {
        var marker = "b" + Guid.NewGuid().ToString("N")[..10];
        for (var i = 0; i < 3; i++)
        {
            await _server.DeliverAsync("user1", $"{marker}-{i}");
        }

        using (var client = await MailKitImap.LoggedInAsync(_server, "user1"))
        {
            await ChangeMailAsync(client, marker);
            await client.DisconnectAsync(true);
        }

        string before;
        using (var client = await MailKitImap.LoggedInAsync(_server, "user1"))
        {
            before = await DescribeAsync(client);
            await client.DisconnectAsync(true);
        }

        var root = _server.MaildirRoot("user1");
        var uidList = await File.ReadAllBytesAsync(Path.Combine(root, "dovecot-uidlist"));
        var projectsUidList = await File.ReadAllBytesAsync(Path.Combine(root, ".Projects", "dovecot-uidlist"));
        var archive = Path.Combine(_archives, archiveName);

        var backup = await AdminAsync("backup", archive);
        Assert.True(backup.ExitCode == 0, backup.Output + backup.Error);
        Assert.StartsWith(archive, backup.Output, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(archive));

        var whileRunning = await AdminAsync("restore", archive);
        Assert.Equal(1, whileRunning.ExitCode);
        Assert.Contains("a server is running", whileRunning.Error, StringComparison.Ordinal);

        await StopServerAsync();
        // What a lost disk leaves: no directory (its -wal and -shm may stay behind, as after a crash) and no Maildirs.
        File.Delete(Path.Combine(_server.DataDirectory, "directory.db"));
        Directory.Delete(Path.Combine(_server.DataDirectory, "virtual"), recursive: true);

        var restore = await AdminAsync("restore", archive);
        Assert.True(restore.ExitCode == 0, restore.Output + restore.Error);
        Assert.StartsWith("restored ", restore.Output, StringComparison.Ordinal);
        Assert.Equal(uidList, await File.ReadAllBytesAsync(Path.Combine(root, "dovecot-uidlist")));
        Assert.Equal(projectsUidList, await File.ReadAllBytesAsync(Path.Combine(root, ".Projects", "dovecot-uidlist")));
        AssertPrivate(Path.Combine(_server.DataDirectory, "virtual"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_server.DataDirectory, "directory.db")));

        var again = await AdminAsync("restore", archive);
        Assert.Equal(1, again.ExitCode);
        // Over what is there now: the directory database first, and the Maildirs.
        Assert.Contains("exists already", again.Error, StringComparison.Ordinal);
        Assert.Contains("add --force", again.Error, StringComparison.Ordinal);

        await _server.RestartAsync();
        using (var client = await MailKitImap.LoggedInAsync(_server, "user1"))
        {
            Assert.Equal(before, await DescribeAsync(client));
            await client.DisconnectAsync(true);
        }
    }

    /// <summary>Flags and a keyword in INBOX, a folder and a sub-folder (subscribed), a message moved, one appended with flags.</summary>
    private static async Task ChangeMailAsync(ImapClient client, string marker)
    {
        var inbox = client.Inbox!;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var delivered = await inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope);
        UniqueId Uid(int i) => delivered.Single(m => m.Envelope!.Subject == $"{marker}-{i}").UniqueId;
        await inbox.AddFlagsAsync(Uid(0), MessageFlags.Flagged, true);
        await inbox.AddFlagsAsync(Uid(1), MessageFlags.Seen | MessageFlags.Answered, ["$Important"], true);

        var personal = client.GetFolder(client.PersonalNamespaces[0]);
        var projects = (await personal.CreateAsync("Projects", true))!;
        var year = (await projects.CreateAsync("2024", true))!;
        await year.SubscribeAsync();
        await inbox.MoveToAsync(Uid(2), projects);

        var appended = new MimeMessage { Subject = $"{marker}-appended", MessageId = $"{marker}.appended@example.jp" };
        appended.From.Add(new MailboxAddress("User One", "user1@example.jp"));
        appended.Body = new TextPart("plain") { Text = "A draft kept in a sub-folder.\r\n" };
        await year.AppendAsync(appended, MessageFlags.Seen | MessageFlags.Draft);
    }

    /// <summary>Every folder with its UIDVALIDITY, then each message's UID, Message-Id, flags and keywords; and the subscriptions.</summary>
    private static async Task<string> DescribeAsync(ImapClient client)
    {
        var personal = client.PersonalNamespaces[0];
        var lines = new List<string>();
        var folders = await client.GetFoldersAsync(personal, false);
        foreach (var folder in folders.OrderBy(f => f.FullName, StringComparer.Ordinal))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NonExistent) || folder.Attributes.HasFlag(FolderAttributes.NoSelect))
            {
                continue;
            }

            await folder.OpenAsync(FolderAccess.ReadOnly);
            lines.Add($"{folder.FullName} UIDVALIDITY {folder.UidValidity.ToString(CultureInfo.InvariantCulture)}");
            var messages = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Flags);
            foreach (var message in messages.OrderBy(m => m.UniqueId.Id))
            {
                // \Recent is whose session saw the message first, not a stored flag: left out.
                var flags = message.Flags!.Value & ~MessageFlags.Recent;
                lines.Add($"  {message.UniqueId.Id.ToString(CultureInfo.InvariantCulture)} <{message.Envelope!.MessageId}> {flags} " +
                          string.Join(' ', message.Keywords.Order(StringComparer.Ordinal)));
            }

            await folder.CloseAsync(false);
        }

        var subscribed = await client.GetFoldersAsync(personal, true);
        lines.Add("subscribed: " + string.Join(", ", subscribed.Select(f => f.FullName).Order(StringComparer.Ordinal)));
        return string.Join('\n', lines);
    }

    /// <summary>Stops the server as systemd does (SIGTERM) and waits until it let go of its data directory.</summary>
    private async Task StopServerAsync()
    {
        var kill = await ProcessRunner.RunAsync("kill", ["-TERM", _server.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(kill.ExitCode == 0, kill.Error);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using (var released = DataDirectoryLock.TryTakeExclusive(_server.DataDirectory))
            {
                if (released is not null)
                {
                    return;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the server did not stop:\n" + _server.Output);
            await Task.Delay(100);
        }
    }

    /// <summary>Files 0600, folders 0700, under <paramref name="root"/> (the active Sieve script's link aside).</summary>
    private static void AssertPrivate(string root)
    {
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            var expected = entry is DirectoryInfo
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite;
            Assert.True(entry.UnixFileMode == expected, $"{entry.FullName} is {entry.UnixFileMode}");
        }
    }
}
