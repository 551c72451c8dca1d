using System.Formats.Tar;
using System.Text;
using MailServerless.Core.Backup;
using MailServerless.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.UnitTests.Backup;

/// <summary>
/// The archive on its own: a round trip keeps names, times, UID lists and the database; a crafted archive (an entry
/// leaving the target, an absolute name, a link or a hard link) is refused and writes nothing outside the target.
/// </summary>
public sealed class BackupArchiveTests : IDisposable
{
    private readonly string _sandbox = Directory.CreateTempSubdirectory("msl-backup-test-").FullName;

    public void Dispose() => Directory.Delete(_sandbox, recursive: true);

    /// <summary>A data directory four levels down, so every escape a test tries still lands inside the sandbox.</summary>
    private BackupLocations Locations(string name, bool sqlite)
    {
        var data = Path.Combine(_sandbox, name, "a", "b", "data");
        var database = Path.Combine(data, "directory.db");
        return new BackupLocations(data, Path.Combine(data, "virtual"), sqlite ? "Sqlite" : "MySql",
            sqlite ? $"Data Source={database}" : null, sqlite ? database : null);
    }

    [Fact]
    public async Task A_round_trip_keeps_file_names_times_uid_lists_the_sieve_link_and_the_database()
    {
        var source = Locations("source", sqlite: true);
        Directory.CreateDirectory(source.DataDirectory);
        await using (var connection = new SqliteConnection(source.SqliteConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText =
                "PRAGMA journal_mode = WAL; CREATE TABLE msl_dkim (domain_name TEXT, private_key TEXT); INSERT INTO msl_dkim VALUES ('example.jp', 'KEY');";
            await command.ExecuteNonQueryAsync();
        }

        var store = new MaildirStore(source.StorePath, "test.host", TimeProvider.System, NullLoggerFactory.Instance);
        var message = new MemoryStream(Encoding.ASCII.GetBytes("Subject: kept\r\n\r\nbody\r\n"));
        Assert.Equal(DeliveryStatus.Delivered, (await store.Delivery.DeliverAsync("example.jp/user1/", default, "q1", DateTimeOffset.UtcNow, message)).Status);
        var mailbox = store.OpenMailbox("example.jp/user1/");
        mailbox.EnsureCreated();
        var folder = await mailbox.OpenFolderAsync("INBOX");
        var uidValidity = folder.UidValidity;
        var root = mailbox.Root;
        var delivered = Directory.GetFiles(Path.Combine(root, "new")).Concat(Directory.GetFiles(Path.Combine(root, "cur"))).Single();
        File.SetLastWriteTimeUtc(delivered, new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        new SieveScriptStore(root).Write("managed", "keep;\n");
        new SieveScriptStore(root).Activate("managed");
        var uidList = await File.ReadAllBytesAsync(Path.Combine(root, UidList.FileName));
        SqliteConnection.ClearAllPools();

        var archive = Path.Combine(_sandbox, "backup.tar.gz");
        var written = await BackupArchive.CreateAsync(archive, source, "mx.example.jp", overwrite: false);
        Assert.True(written.HoldsDirectory);
        Assert.Equal(1, written.Messages);

        var target = Locations("target", sqlite: true);
        var restored = await BackupRestore.RestoreAsync(archive, target, force: false);

        var restoredRoot = Path.Combine(target.StorePath, "example.jp", "user1");
        Assert.True(restored.RestoredDirectory);
        Assert.Equal(uidList, await File.ReadAllBytesAsync(Path.Combine(restoredRoot, UidList.FileName)));
        var copy = Path.Combine(restoredRoot, Path.GetRelativePath(root, delivered));
        Assert.Equal(new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc), File.GetLastWriteTimeUtc(copy));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy));
        Assert.Equal("sieve/managed.sieve", new FileInfo(Path.Combine(restoredRoot, SieveScriptStore.ActiveLink)).LinkTarget);
        Assert.Equal(uidValidity, (await new MaildirStore(target.StorePath, "test.host", TimeProvider.System, NullLoggerFactory.Instance)
            .OpenMailbox("example.jp/user1/").OpenFolderAsync("INBOX")).UidValidity);
        await using (var connection = new SqliteConnection(target.SqliteConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT private_key FROM msl_dkim WHERE domain_name = 'example.jp'";
            Assert.Equal("KEY", await command.ExecuteScalarAsync());
        }

        SqliteConnection.ClearAllPools();
        var again = await Assert.ThrowsAsync<BackupException>(() => BackupRestore.RestoreAsync(archive, target, force: false));
        Assert.Contains("exists already", again.Message, StringComparison.Ordinal);
    }

    public static TheoryData<TarEntryType, string, string?> CraftedEntries => new()
    {
        { TarEntryType.RegularFile, "maildirs/../../../evil", null },
        { TarEntryType.RegularFile, "maildirs/example.jp/../../../../evil", null },
        { TarEntryType.RegularFile, "../evil", null },
        { TarEntryType.RegularFile, "/tmp/msl-evil-absolute", null },
        { TarEntryType.RegularFile, "maildirs/..\\..\\evil", null },
        { TarEntryType.RegularFile, "elsewhere/evil", null },
        { TarEntryType.Directory, "maildirs/../../../evil/", null },
        { TarEntryType.SymbolicLink, "maildirs/example.jp/link", "../../../../.." },
        { TarEntryType.SymbolicLink, "maildirs/example.jp/user1/.dovecot.sieve", "../../../../../evil" },
        { TarEntryType.HardLink, "maildirs/example.jp/passwd", "/etc/passwd" },
        { TarEntryType.Fifo, "maildirs/example.jp/fifo", null },
    };

    [Theory]
    [MemberData(nameof(CraftedEntries))]
    public async Task A_crafted_entry_is_refused_and_nothing_is_written_outside_the_target(TarEntryType type, string name, string? link)
    {
        var archive = Path.Combine(_sandbox, "crafted.tar");
        await using (var file = File.Create(archive))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            await WriteManifestAsync(writer);
            var entry = new PaxTarEntry(type, name);
            if (link is not null)
            {
                entry.LinkName = link;
            }

            if (type == TarEntryType.RegularFile)
            {
                entry.DataStream = new MemoryStream(Encoding.ASCII.GetBytes("pwned\n"));
            }

            await writer.WriteEntryAsync(entry);
        }

        var target = Locations("target", sqlite: false);

        await Assert.ThrowsAsync<BackupException>(() => BackupRestore.RestoreAsync(archive, target, force: false));

        // Nothing but the data directory's own lock file, anywhere in the sandbox (the archive aside).
        var written = Directory.EnumerateFiles(_sandbox, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f != archive && Path.GetFileName(f) != DataDirectoryLock.FileName);
        Assert.Empty(written);
        Assert.False(File.Exists("/tmp/msl-evil-absolute"));
        Assert.False(Directory.Exists(Path.Combine(_sandbox, "target", "evil")));
    }

    [Fact]
    public async Task An_archive_without_a_manifest_first_or_of_a_newer_format_is_refused()
    {
        var noManifest = Path.Combine(_sandbox, "plain.tar");
        await using (var file = File.Create(noManifest))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "maildirs/"));
        }

        var newer = Path.Combine(_sandbox, "newer.tar");
        await using (var file = File.Create(newer))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            await WriteManifestAsync(writer, BackupManifest.CurrentVersion + 1);
        }

        var plain = await Assert.ThrowsAsync<BackupException>(() => BackupRestore.RestoreAsync(noManifest, Locations("a", sqlite: false), force: false));
        var future = await Assert.ThrowsAsync<BackupException>(() => BackupRestore.RestoreAsync(newer, Locations("b", sqlite: false), force: false));

        Assert.Contains("not a MailServerless backup", plain.Message, StringComparison.Ordinal);
        Assert.Contains("format version", future.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restore_refuses_while_a_server_holds_the_data_directory()
    {
        var target = Locations("running", sqlite: false);
        var archive = Path.Combine(_sandbox, "empty.tar");
        await using (var file = File.Create(archive))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            await WriteManifestAsync(writer);
        }

        using (DataDirectoryLock.HoldWhileServing(target.DataDirectory))
        {
            var refused = await Assert.ThrowsAsync<BackupException>(() => BackupRestore.RestoreAsync(archive, target, force: false));
            Assert.Contains("a server is running", refused.Message, StringComparison.Ordinal);
        }

        await BackupRestore.RestoreAsync(archive, target, force: false);
    }

    private static async Task WriteManifestAsync(TarWriter writer, int version = BackupManifest.CurrentVersion)
    {
        var manifest = new BackupManifest(BackupManifest.FormatName, version, DateTimeOffset.UtcNow, "mx.example.jp", "test", "test",
            [BackupManifest.MaildirsPart], "MySql");
        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, BackupManifest.EntryName)
        {
            DataStream = new MemoryStream(manifest.ToJson()),
        });
    }
}
