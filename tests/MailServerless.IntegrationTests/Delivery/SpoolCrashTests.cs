using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MailServerless.Core.Accounts;
using MailServerless.Core.Queue;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Delivery;

/// <summary>The inbound workers as a separate process, killed at the worst moments and started again.</summary>
public sealed partial class SpoolCrashTests : IAsyncLifetime
{
    private static readonly string Tools = Path.Combine(AppContext.BaseDirectory, "MailServerless.TestTools.dll");
    private readonly string _data = Path.Combine(Path.GetTempPath(), "msl-crash-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        var database = Core.Accounts.Sql.DirectoryDatabase.Sqlite($"Data Source={Path.Combine(_data, "directory.db")}");
        await new SchemaInstaller(database, NullLogger<SchemaInstaller>.Instance).EnsureSchemaAsync();
        var passwords = new Core.Passwords.PasswordService("MD5-CRYPT", "SHA512-CRYPT", NullLogger<Core.Passwords.PasswordService>.Instance);
        var admin = new DirectoryAdministration(database, passwords, TimeProvider.System);
        await admin.CreateDomainAsync(new DomainSettings("example.jp"));
        for (var i = 1; i <= 5; i++)
        {
            await admin.CreateMailboxAsync($"user{i}@example.jp", "pw", $"User {i}", 0);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_data, recursive: true);
        return Task.CompletedTask;
    }

    private async Task EnqueueAsync(int count, Func<int, string[]> recipients)
    {
        var spool = Path.Combine(_data, "spool");
        var blobs = new SpoolBlobStore(Path.Combine(spool, "bodies"));
        using var inbound = new SpoolQueue(spool, "inbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
        for (var i = 0; i < count; i++)
        {
            var id = $"msg{i:D5}";
            var body = $"From: a@remote.example\r\nSubject: {id}\r\nMessage-ID: <{id}@remote.example>\r\n\r\nbody {i}\r\n";
            await blobs.PutAsync(id, new MemoryStream(Encoding.ASCII.GetBytes(body)));
            await inbound.EnqueueAsync(new QueuedMessage
            {
                Id = id, ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "a@remote.example", Recipients = recipients(i), BodyKey = id,
            });
        }
    }

    /// <summary>Message-ID → number of copies, over every mailbox's new/.</summary>
    private Dictionary<string, int> CopiesPerMailbox(int mailbox)
    {
        var folder = Path.Combine(_data, "virtual", "example.jp", $"user{mailbox}", "new");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return counts;
        }

        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var id = MessageId().Match(File.ReadAllText(file)).Groups[1].Value;
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        return counts;
    }

    private Task<ProcessRunner.Result> RunWorkerAsync(params string[] options) =>
        ProcessRunner.RunAsync("dotnet", [Tools, "spool", _data, .. options], timeout: TimeSpan.FromMinutes(3));

    [Fact]
    public async Task Worker_killed_after_the_maildir_write_and_before_the_acknowledgement_leaves_one_copy_per_mailbox()
    {
        await EnqueueAsync(1, _ => ["user1@example.jp", "user2@example.jp"]);

        var crashed = await RunWorkerAsync("--crash-after-delivery");
        Assert.Equal(137, crashed.ExitCode);
        Assert.Equal(1, CopiesPerMailbox(1)["msg00000@remote.example"]);
        Assert.True(File.Exists(Path.Combine(_data, "spool", "inbound", "queue", "msg00000.json")));

        var restarted = await RunWorkerAsync();

        Assert.True(restarted.ExitCode == 0, restarted.Output + restarted.Error);
        Assert.Equal(1, CopiesPerMailbox(1)["msg00000@remote.example"]);
        Assert.Equal(1, CopiesPerMailbox(2)["msg00000@remote.example"]);
        Assert.Empty(Directory.GetFiles(Path.Combine(_data, "spool", "inbound", "queue")));
    }

    [Fact]
    public async Task Worker_killed_with_sigkill_mid_queue_delivers_everything_exactly_once_after_restart()
    {
        const int messages = 200;
        await EnqueueAsync(messages, i => [$"user{(i % 5) + 1}@example.jp"]);

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { Tools, "spool", _data, "--slow-ms", "25" })
        {
            info.ArgumentList.Add(argument);
        }

        using (var worker = Process.Start(info)!)
        {
            Assert.Equal("started", await worker.StandardOutput.ReadLineAsync());
            // Let it get part of the way, then SIGKILL: no chance to finish anything.
            while (Enumerable.Range(1, 5).Sum(m => CopiesPerMailbox(m).Count) < messages / 4)
            {
                await Task.Delay(10);
            }

            worker.Kill();
            await worker.WaitForExitAsync();
        }

        var delivered = Enumerable.Range(1, 5).Sum(m => CopiesPerMailbox(m).Count);
        Assert.InRange(delivered, messages / 4, messages - 1);

        var restarted = await RunWorkerAsync();

        Assert.True(restarted.ExitCode == 0, restarted.Output + restarted.Error);
        for (var mailbox = 1; mailbox <= 5; mailbox++)
        {
            var copies = CopiesPerMailbox(mailbox);
            Assert.Equal(messages / 5, copies.Count);
            Assert.All(copies, c => Assert.Equal(1, c.Value));
        }
    }

    [GeneratedRegex(@"Message-ID: <([^>]+)>")]
    private static partial Regex MessageId();
}
