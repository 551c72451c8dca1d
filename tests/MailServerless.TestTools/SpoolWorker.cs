using System.Globalization;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MailServerless.Functions;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.TestTools;

/// <summary>
/// <c>spool &lt;data-dir&gt;</c>: runs the inbound workers over <c>&lt;data-dir&gt;/directory.db</c>,
/// <c>&lt;data-dir&gt;/spool</c> and <c>&lt;data-dir&gt;/virtual</c> until the queue is empty (exit 0).
/// <c>--crash-after-delivery</c> exits with 137 right after the first message is written into the
/// Maildirs, before the queue hears of it; <c>--slow-ms N</c> waits N ms after each message.
/// </summary>
internal static class SpoolWorker
{
    public static async Task<int> RunAsync(string dataDirectory, string[] options)
    {
        var crash = options.Contains("--crash-after-delivery");
        var slowIndex = Array.IndexOf(options, "--slow-ms");
        var slow = slowIndex >= 0 ? TimeSpan.FromMilliseconds(int.Parse(options[slowIndex + 1], CultureInfo.InvariantCulture)) : TimeSpan.Zero;

        var database = DirectoryDatabase.Sqlite($"Data Source={Path.Combine(dataDirectory, "directory.db")}");
        var passwords = new PasswordService("MD5-CRYPT", "BLF-CRYPT", NullLogger<PasswordService>.Instance);
        var directory = new SqlAccountDirectory(database, passwords, NullLogger<SqlAccountDirectory>.Instance);
        var spool = Path.Combine(dataDirectory, "spool");
        var blobs = new SpoolBlobStore(Path.Combine(spool, "bodies"));
        using var inbound = new SpoolQueue(spool, "inbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
        using var outbound = new SpoolQueue(spool, "outbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
        var store = new MaildirStore(Path.Combine(dataDirectory, "virtual"), "tools.host", TimeProvider.System, NullLoggerFactory.Instance);
        var delivery = new DeliveryOptions { HostName = "tools.host" };
        var deliver = new DeliverInbound(new RecipientResolver(directory, "autoreply.example.jp"), store, blobs, outbound,
            new NonDeliveryReports(blobs, inbound, delivery, NullLogger<NonDeliveryReports>.Instance), delivery, NullLogger<DeliverInbound>.Instance);
        IQueueFunction function = new Wrapped(deliver, crash, slow);
        var processor = new QueueProcessor(inbound, blobs, function,
            new QueueOptions { Workers = 2, MinBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1) },
            TimeProvider.System, NullLogger<QueueProcessor>.Instance);

        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        Console.WriteLine("started");
        while (inbound.Count > 0)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await run;
        Console.WriteLine("empty");
        return 0;
    }

    private sealed class Wrapped(IQueueFunction inner, bool crash, TimeSpan slow) : IQueueFunction
    {
        public async Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
        {
            var result = await inner.HandleAsync(message, cancellationToken);
            if (crash)
            {
                // The Maildir write is done; the acknowledgement never happens.
                Console.Out.Flush();
                Environment.Exit(137);
            }

            if (slow > TimeSpan.Zero)
            {
                await Task.Delay(slow, cancellationToken);
            }

            return result;
        }
    }
}
