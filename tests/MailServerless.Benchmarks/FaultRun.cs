using System.Diagnostics;
using System.Globalization;
using MailServerless.Testing;

namespace MailServerless.Benchmarks;

/// <summary>
/// The fault harness at length: <c>fault [--messages 5000] [--senders 16] [--cycles 10]</c> sends at least that many
/// messages (two recipients each) while killing the server with SIGKILL that many times, then prints
/// <c>lost: N, duplicated: N</c> (both must be 0) and exits 1 otherwise. With <c>--cluster</c> the target is two edge
/// servers and two workers on SQS + S3, and the workers are the processes killed (run it through cluster-bench.sh).
/// </summary>
public static class FaultRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Option(args, "--messages", 5000);
        var senders = Option(args, "--senders", 16);
        var cycles = Option(args, "--cycles", 10);
        string[] settings = ["--Logging:LogLevel:Default=Warning", "--Mail:Smtp:MaxConnectionsPerClient=1000"];
        await using IAsyncDisposable target = args.Contains("--cluster")
            ? await MailCluster.StartAsync(2, 2, [.. settings, "--Mail:Queue:VisibilityTimeout=00:00:05"])
            : await MailServerInstance.StartAsync(settings);
        var clock = Stopwatch.StartNew();
        var report = await FaultHarness.RunAsync((IFaultTarget)target, messages, senders, cycles, seed: Environment.TickCount);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fault run: {report.KillCycles} SIGKILLs, {report.Acknowledged} messages acknowledged, {report.Unacknowledged} cut off, {clock.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lost: {report.Lost}, duplicated: {report.Duplicated}"));
        foreach (var problem in report.Problems.Take(50))
        {
            Console.WriteLine(problem);
        }

        return report.Lost == 0 && report.Duplicated == 0 ? 0 : 1;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
