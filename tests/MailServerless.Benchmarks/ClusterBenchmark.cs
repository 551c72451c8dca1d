using System.Diagnostics;
using System.Globalization;
using MailServerless.Testing;

namespace MailServerless.Benchmarks;

/// <summary>
/// End-to-end throughput of the scaled-out form: <c>cluster [--messages 2000] [--senders 16]</c> starts two
/// edge servers and one, then two, workers (SQS/S3 emulator, MariaDB, one Maildir base; run it through
/// cluster-bench.sh, which starts those), sends the messages over SMTP to both edges and prints how many
/// were delivered per second, from the first connection to the last Maildir file.
/// </summary>
public static class ClusterBenchmark
{
    private static readonly string[] Users = ["user1", "user2", "user3", "user4", "user5"];

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Option(args, "--messages", 2000);
        var senders = Option(args, "--senders", 16);
        foreach (var workers in new[] { 1, 2 })
        {
            await using var cluster = await MailCluster.StartAsync(2, workers,
                "--Logging:LogLevel:Default=Warning", "--Mail:Smtp:MaxConnectionsPerClient=1000", "--Mail:Queue:Workers=8");
            var clock = Stopwatch.StartNew();
            var next = -1;
            var accepted = 0;
            async Task SendAsync()
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < messages)
                {
                    var token = $"tok{n:D6}x{Guid.NewGuid():N}"[..26];
                    if (await FaultHarness.TrySendAsync(cluster.SmtpPorts[n % 2], token, [Users[n % Users.Length]]) == true)
                    {
                        Interlocked.Increment(ref accepted);
                    }
                }
            }

            await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(SendAsync)));
            var acceptedIn = clock.Elapsed;
            var delivered = 0;
            while (clock.Elapsed < TimeSpan.FromMinutes(10) && (delivered = Delivered(cluster)) < accepted)
            {
                await Task.Delay(100);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"2 edges, {workers} worker(s): {accepted} accepted in {acceptedIn.TotalSeconds:F1} s ({accepted / acceptedIn.TotalSeconds:F0}/s), " +
                $"{delivered} delivered in {seconds:F1} s: {delivered / seconds:F0} messages/s end to end"));
        }

        return 0;
    }

    private static int Delivered(MailCluster cluster) =>
        Users.Select(cluster.MaildirRoot).SelectMany(root => new[] { "new", "cur" }.Select(s => Path.Combine(root, s)))
            .Where(Directory.Exists).Sum(folder => Directory.EnumerateFiles(folder).Count());

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
