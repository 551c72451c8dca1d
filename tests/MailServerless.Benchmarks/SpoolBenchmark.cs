using System.Diagnostics;
using System.Globalization;
using System.Text;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MailServerless.Functions;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.Benchmarks;

/// <summary>
/// The whole one-machine path after SMTP: N messages of 4 KiB to random mailboxes among 100 are
/// spooled durably (body + envelope), then the inbound workers resolve them against the SQLite
/// directory and write them into the Maildirs. Prints spooling and delivery rates.
/// </summary>
internal static class SpoolBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Option(args, "--messages", 10_000);
        var workers = Option(args, "--workers", 4);
        var dir = Path.Combine(Path.GetTempPath(), "msl-spool-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        Console.WriteLine($"# spool benchmark in {dir}: {messages} messages, 100 mailboxes, {workers} workers, {Environment.ProcessorCount} cores");
        try
        {
            var database = DirectoryDatabase.Sqlite($"Data Source={Path.Combine(dir, "directory.db")}");
            await new SchemaInstaller(database, NullLogger<SchemaInstaller>.Instance).EnsureSchemaAsync();
            var passwords = new PasswordService("MD5-CRYPT", "MD5-CRYPT", NullLogger<PasswordService>.Instance);
            var admin = new DirectoryAdministration(database, passwords, TimeProvider.System);
            await admin.CreateDomainAsync(new DomainSettings("example.jp") { MaxMailboxes = 0, MaxAliases = 0 });
            for (var i = 1; i <= 100; i++)
            {
                await admin.CreateMailboxAsync($"user{i}@example.jp", "secret", $"User {i}", 0);
            }

            var spool = Path.Combine(dir, "spool");
            var blobs = new SpoolBlobStore(Path.Combine(spool, "bodies"));
            using var inbound = new SpoolQueue(spool, "inbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
            using var outbound = new SpoolQueue(spool, "outbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
            var store = new MaildirStore(Path.Combine(dir, "virtual"), "bench.host", TimeProvider.System, NullLoggerFactory.Instance);
            var directory = new SqlAccountDirectory(database, passwords, NullLogger<SqlAccountDirectory>.Instance);
            var delivery = new DeliveryOptions { HostName = "bench.host" };
            var function = new DeliverInbound(new RecipientResolver(directory, "autoreply.example.jp"), store, blobs, outbound,
                new NonDeliveryReports(blobs, inbound, delivery, NullLogger<NonDeliveryReports>.Instance), delivery, NullLogger<DeliverInbound>.Instance);

            var body = Encoding.ASCII.GetBytes(Message());
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < messages; i++)
            {
                var id = $"b{i:D7}";
                await blobs.PutAsync(id, new MemoryStream(body));
                await inbound.EnqueueAsync(new QueuedMessage
                {
                    Id = id, ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "bench@example.net",
                    Recipients = [$"user{Random.Shared.Next(1, 101)}@example.jp"], BodyKey = id, Size = body.Length,
                });
            }

            Report("spool_enqueue_durable", messages / watch.Elapsed.TotalSeconds, "msg/s");

            var processor = new QueueProcessor(inbound, blobs, function, new QueueOptions { Workers = workers },
                TimeProvider.System, NullLogger<QueueProcessor>.Instance);
            using var stop = new CancellationTokenSource();
            watch.Restart();
            var run = processor.RunAsync(stop.Token);
            while (inbound.Count > 0)
            {
                await Task.Delay(10);
            }

            var elapsed = watch.Elapsed;
            await stop.CancelAsync();
            await run;
            var delivered = Directory.EnumerateFiles(Path.Combine(dir, "virtual", "example.jp"), "*", SearchOption.AllDirectories)
                .Count(f => Path.GetFileName(Path.GetDirectoryName(f)) == "new");
            if (delivered != messages)
            {
                throw new InvalidOperationException($"{delivered} of {messages} delivered");
            }

            Report("spool_to_maildir_100_mailboxes", messages / elapsed.TotalSeconds, "msg/s");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static string Message()
    {
        var text = new StringBuilder("From: bench@example.net\r\nTo: user@example.jp\r\nSubject: benchmark\r\n\r\n");
        while (text.Length < 4096 - 80)
        {
            text.Append("0123456789012345678901234567890123456789012345678901234567890123456789012345\r\n");
        }

        return text.ToString();
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BENCH {name} {value:F1} {unit}"));

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
