using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.Benchmarks;

/// <summary>
/// Round trips as a client with Nagle's algorithm on sees them (the default of most socket libraries): an APPEND whose
/// LITERAL+ literal comes in a second write, and FETCHes pipelined in separate writes. A server that delays its ACK
/// while it reads on without answering stalls such a client 40 ms per command; prints the median and the 90th
/// percentile of each, in milliseconds.
/// </summary>
internal static class ImapLatencyBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Array.IndexOf(args, "--rounds") is var at and >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 200;
        await using var server = await MailServerInstance.StartAsync("--Logging:LogLevel:Default=Warning", "--Mail:Auth:AllowPlaintextWithoutTls=true");
        Console.WriteLine($"# imap latency: {rounds} rounds, client Nagle on, plaintext IMAP on loopback");
        using var client = new TcpClient { NoDelay = false };
        await client.ConnectAsync("127.0.0.1", server.Imap);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await reader.ReadLineAsync();
        async Task Until(string tag)
        {
            while (await reader.ReadLineAsync() is { } line && !line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
            }
        }

        async Task Send(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text));

        await Send($"a LOGIN user1@example.jp {MailServerInstance.Password}\r\n");
        await Until("a");
        var append = new List<double>();
        var literal = "Subject: latency\r\n\r\n0123456789abc\r\n";
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            await Send($"b APPEND INBOX {{{literal.Length}+}}\r\n");
            await Send(literal);
            await Send("\r\n");
            await Until("b");
            append.Add(watch.Elapsed.TotalMilliseconds);
        }

        await Send("c SELECT INBOX\r\n");
        await Until("c");
        var pipelined = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            await Send("d1 FETCH 1 (FLAGS)\r\n");
            await Send("d2 FETCH 2 (FLAGS)\r\n");
            await Send("d3 FETCH 3 (FLAGS)\r\n");
            await Until("d3");
            pipelined.Add(watch.Elapsed.TotalMilliseconds);
        }

        Print("imap_append_two_writes", append);
        Print("imap_pipelined_fetch_x3", pipelined);
        return 0;
    }

    private static void Print(string name, List<double> samples)
    {
        samples.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"BENCH {name}_median {samples[samples.Count / 2]:0.00} ms\nBENCH {name}_p90 {samples[samples.Count * 9 / 10]:0.00} ms"));
    }
}
