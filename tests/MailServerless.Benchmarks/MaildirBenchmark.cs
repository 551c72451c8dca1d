using System.Diagnostics;
using System.Globalization;
using System.Text;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.Benchmarks;

/// <summary>
/// The Maildir store's figures: durable deliveries per second into one folder and across
/// 100 mailboxes, and the time to open a 10,000- and a 100,000-message folder cold (a fresh
/// process, UID list up to date) and warm (the same process again), plus a sync after new mail.
/// Prints one "BENCH name value unit" line per figure.
/// </summary>
internal static class MaildirBenchmark
{
    private const int MessageSize = 4096;

    public static async Task<int> RunAsync(string[] args)
    {
        var deliveries = Option(args, "--deliveries", 2000);
        var large = Option(args, "--large", 100_000);
        var dir = OptionText(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "msl-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        Console.WriteLine($"# Maildir benchmark in {dir} ({Environment.ProcessorCount} cores), {MessageSize}-byte messages");
        try
        {
            var store = new MaildirStore(dir, "bench.host", TimeProvider.System, NullLoggerFactory.Instance);
            var body = MakeMessage();

            await DeliverAsync(store, deliveries, _ => "example.jp/one/", body, "deliveries_one_folder");
            await DeliverAsync(store, deliveries, i => $"example.jp/user{i % 100}/", body, "deliveries_100_mailboxes");
            await DeliverAsync(store, deliveries, _ => "example.jp/conc/", body, "deliveries_one_folder_4_writers", writers: 4);

            foreach (var size in new[] { 10_000, large })
            {
                await OpenBenchmarkAsync(store, size, body);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static async Task DeliverAsync(
        MaildirStore store, int count, Func<int, string> maildir, byte[] body, string name, int writers = 1)
    {
        var queuedAt = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var result = await store.Delivery.DeliverAsync(maildir(i), QuotaLimit.Unlimited, $"{name}-{i}", queuedAt, new MemoryStream(body));
                if (result.Status != DeliveryStatus.Delivered)
                {
                    throw new InvalidOperationException($"{result.Status}: {result.Detail}");
                }
            }
        })));
        Report(name, count / watch.Elapsed.TotalSeconds, "msg/s");
    }

    private static async Task OpenBenchmarkAsync(MaildirStore store, int size, byte[] body)
    {
        var maildir = $"example.jp/open{size}/";
        var mailbox = store.OpenMailbox(maildir);
        mailbox.EnsureCreated(withDefaultFolders: false);
        Fill(mailbox.Root, size, body);

        var watch = Stopwatch.StartNew();
        var folder = await mailbox.OpenFolderAsync("INBOX");
        Report($"open_{size}_first_assigns_uids", watch.Elapsed.TotalSeconds, "s");
        if (folder.Messages.Count != size)
        {
            throw new InvalidOperationException($"opened {folder.Messages.Count} of {size}");
        }

        var cold = await RunFreshProcessAsync(mailbox.Root);
        Report($"open_{size}_cold", cold, "s");

        watch.Restart();
        await mailbox.OpenFolderAsync("INBOX");
        Report($"open_{size}_warm", watch.Elapsed.TotalSeconds, "s");

        // Directory times younger than two seconds are not trusted (a change in the same tick could hide).
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        watch.Restart();
        await folder.SyncAsync();
        Report($"sync_{size}_nothing_new", watch.Elapsed.TotalSeconds, "s");

        var queuedAt = DateTimeOffset.UtcNow;
        for (var i = 0; i < 100; i++)
        {
            await store.Delivery.DeliverAsync(maildir, QuotaLimit.Unlimited, $"more-{size}-{i}", queuedAt, new MemoryStream(body));
        }

        watch.Restart();
        var changes = await folder.SyncAsync();
        Report($"sync_{size}_after_100_new", watch.Elapsed.TotalSeconds, "s");
        if (changes.Added.Count != 100)
        {
            throw new InvalidOperationException($"sync saw {changes.Added.Count} of 100 new messages");
        }
    }

    /// <summary>
    /// Writes message files straight into cur/ as read mail (no fsync): a fast way to make a big folder
    /// shaped like a real one, where almost everything has been seen.
    /// </summary>
    private static void Fill(string root, int count, byte[] body)
    {
        var lf = body.Length - body.Count(b => b == '\r');
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var name = MaildirFileName.WithSizes(MaildirFileName.NewUniqueBase("bench.host", now.AddSeconds(i)), lf, body.Length);
            File.WriteAllBytes(Path.Combine(root, "cur", name + ":2,S"), body);
        }
    }

    private static async Task<double> RunFreshProcessAsync(string root)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(MaildirBenchmark).Assembly.Location);
        info.ArgumentList.Add("open-folder");
        info.ArgumentList.Add(root);
        info.ArgumentList.Add("INBOX");
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The child of a cold open: opens the folder once and prints the seconds it took.</summary>
    public static async Task<int> OpenInFreshProcessAsync(string root, string folderName)
    {
        var store = new MaildirStore(Path.GetDirectoryName(Path.GetDirectoryName(root))!, "bench.host", TimeProvider.System,
            NullLoggerFactory.Instance);
        var maildir = Path.GetRelativePath(store.BasePath, root) + "/";
        var watch = Stopwatch.StartNew();
        var folder = await store.OpenMailbox(maildir).OpenFolderAsync(folderName);
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(seconds.ToString("F4", CultureInfo.InvariantCulture));
        return folder.Messages.Count > 0 ? 0 : 1;
    }

    private static byte[] MakeMessage()
    {
        var text = new StringBuilder("From: bench@example.net\r\nTo: user@example.jp\r\nSubject: benchmark\r\n\r\n");
        while (text.Length < MessageSize - 80)
        {
            text.Append("0123456789012345678901234567890123456789012345678901234567890123456789012345\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BENCH {name} {value:F3} {unit}"));

    private static int Option(string[] args, string name, int fallback)
    {
        var text = OptionText(args, name);
        return text is null ? fallback : int.Parse(text, CultureInfo.InvariantCulture);
    }

    private static string? OptionText(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
