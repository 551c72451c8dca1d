using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MailServerless.Benchmarks;

/// <summary>
/// <c>imap-stress</c>: several sessions on one mailbox for a while, each sending batches of commands pipelined in one
/// write (FETCH of flags, envelopes and bodies, STORE, SEARCH, NOOP, and now and then an APPEND and the UID EXPUNGE of
/// what it appended), against any IMAP server: ours or Dovecot, for compare-dovecot-imap.sh. Prints one BENCH line: the
/// commands answered, per second, the latency of a command from its batch's write to its tagged answer (median,
/// 90th and 99th percentile), and the errors (tagged NO or BAD, untagged BAD).
/// </summary>
internal static class ImapStressBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Option(string name, string fallback) =>
            Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        var host = Option("--host", "127.0.0.1");
        var port = int.Parse(Option("--port", "143"), CultureInfo.InvariantCulture);
        var user = Option("--user", "user1@example.jp");
        var password = Option("--password", "secret");
        var sessions = int.Parse(Option("--sessions", "10"), CultureInfo.InvariantCulture);
        var seconds = double.Parse(Option("--seconds", "20"), CultureInfo.InvariantCulture);
        var depth = int.Parse(Option("--depth", "4"), CultureInfo.InvariantCulture);
        var label = Option("--label", "imap");
        var startTls = args.Contains("--starttls");

        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var results = await Task.WhenAll(Enumerable.Range(0, sessions).Select(i =>
            RunSessionAsync(host, port, user, password, startTls, depth, deadline, new Random(i + 1))));
        var latencies = results.SelectMany(r => r.Latencies).Order().ToList();
        var errors = results.Sum(r => r.Errors);
        double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"BENCH imap_stress label={label} sessions={sessions} depth={depth} s={seconds:0.#} commands={latencies.Count} commands_per_s={latencies.Count / seconds:0.#} p50_ms={Percentile(0.5):0.###} p90_ms={Percentile(0.9):0.###} p99_ms={Percentile(0.99):0.###} errors={errors}"));
        foreach (var sample in results.SelectMany(r => r.ErrorSamples).Distinct().Take(5))
        {
            Console.WriteLine("# error: " + sample);
        }

        return 0;
    }

    private sealed record SessionResult(List<double> Latencies, int Errors, List<string> ErrorSamples);

    private static async Task<SessionResult> RunSessionAsync(
        string host, int port, string user, string password, bool startTls, int depth, long deadline, Random random)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port);
        Stream stream = client.GetStream();
        var reader = new ResponseReader(stream);
        await reader.LineAsync(); // greeting
        if (startTls)
        {
            await WriteAsync(stream, "s STARTTLS\r\n");
            await reader.UntilTaggedAsync("s");
            var tls = new SslStream(stream, false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(host);
            stream = tls;
            reader = new ResponseReader(stream);
        }

        await WriteAsync(stream, $"l LOGIN {user} {password}\r\nx SELECT INBOX\r\n");
        await reader.UntilTaggedAsync("l");
        var exists = 0;
        foreach (var line in await reader.UntilTaggedAsync("x"))
        {
            if (line.EndsWith(" EXISTS", StringComparison.Ordinal))
            {
                exists = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            }
        }

        var latencies = new List<double>();
        var errors = 0;
        var samples = new List<string>();
        var appended = new List<string>();
        var batch = 0;
        while (Stopwatch.GetTimestamp() < deadline && exists > 0)
        {
            var commands = new List<string>();
            for (var i = 0; i < depth; i++)
            {
                var tag = $"c{batch}.{i}";
                var n = random.Next(1, exists + 1);
                // Sequence numbers stay valid through a batch only while no command in it may report an expunge
                // (RFC 3501 §5.5): NOOP, which may, only ever comes last.
                commands.Add(random.Next(i == depth - 1 ? 8 : 7) switch
                {
                    0 => $"{tag} FETCH {n} (FLAGS ENVELOPE)",
                    1 => $"{tag} FETCH {n} (BODY.PEEK[])",
                    2 => $"{tag} STORE {n} +FLAGS (\\Flagged $Stress)",
                    3 => $"{tag} STORE {n} -FLAGS (\\Flagged $Stress)",
                    4 => $"{tag} SEARCH UNSEEN",
                    5 => $"{tag} FETCH 1:{Math.Min(exists, n + 20)} (UID FLAGS RFC822.SIZE)",
                    6 => $"{tag} FETCH {n} (BODYSTRUCTURE)",
                    _ => $"{tag} NOOP",
                });
            }

            if (appended.Count > 0 && random.Next(4) == 0)
            {
                commands.Add($"e{batch} UID STORE {appended[0]} +FLAGS.SILENT (\\Deleted)");
                commands.Add($"f{batch} UID EXPUNGE {appended[0]}");
                appended.RemoveAt(0);
            }

            var start = Stopwatch.GetTimestamp();
            await WriteAsync(stream, string.Concat(commands.Select(c => c + "\r\n")));
            foreach (var command in commands)
            {
                var tag = command.Split(' ')[0];
                var lines = await reader.UntilTaggedAsync(tag);
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                exists = Track(lines, exists);

                var tagged = lines[^1];
                if (tagged.StartsWith(tag + " NO", StringComparison.Ordinal) || tagged.StartsWith(tag + " BAD", StringComparison.Ordinal) ||
                    lines.Any(l => l.StartsWith("* BAD", StringComparison.Ordinal)))
                {
                    errors++;
                    if (samples.Count < 5)
                    {
                        samples.Add(command + " -> " + tagged);
                    }
                }
            }

            if (random.Next(20) == 0)
            {
                // A new message now and then (LITERAL+), taken away again by a later batch: expunges while others read.
                var body = $"Subject: stress {batch}\r\nFrom: s@example.net\r\n\r\nstress\r\n";
                var start2 = Stopwatch.GetTimestamp();
                await WriteAsync(stream, $"a{batch} APPEND INBOX {{{Encoding.ASCII.GetByteCount(body)}+}}\r\n{body}\r\n");
                var lines = await reader.UntilTaggedAsync($"a{batch}");
                latencies.Add(Stopwatch.GetElapsedTime(start2).TotalMilliseconds);
                exists = Track(lines, exists);
                if (lines[^1].Split(' ') is [_, "OK", "[APPENDUID", _, var uid, ..])
                {
                    appended.Add(uid.TrimEnd(']'));
                }
                else
                {
                    errors++;
                }
            }

            batch++;
        }

        await WriteAsync(stream, "z LOGOUT\r\n");
        return new SessionResult(latencies, errors, samples);
    }

    /// <summary>The message count after the untagged EXISTS and EXPUNGE among <paramref name="lines"/>.</summary>
    private static int Track(List<string> lines, int exists)
    {
        foreach (var line in lines.Where(l => l.StartsWith("* ", StringComparison.Ordinal)))
        {
            if (line.EndsWith(" EXISTS", StringComparison.Ordinal))
            {
                exists = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            }
            else if (line.EndsWith(" EXPUNGE", StringComparison.Ordinal))
            {
                exists--;
            }
        }

        return exists;
    }

    private static Task WriteAsync(Stream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Response lines, with the literals they announce read and left out.</summary>
    private sealed class ResponseReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<List<string>> UntilTaggedAsync(string tag)
        {
            var lines = new List<string>();
            while (true)
            {
                var line = await LineAsync();
                lines.Add(line);
                if (line.StartsWith(tag + " ", StringComparison.Ordinal))
                {
                    return lines;
                }
            }
        }

        public async Task<string> LineAsync()
        {
            var line = new StringBuilder();
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline < 0)
                {
                    line.Append(Encoding.Latin1.GetString(_buffer, _start, _end - _start));
                    await FillAsync();
                    continue;
                }

                line.Append(Encoding.Latin1.GetString(_buffer, _start, newline - _start));
                _start = newline + 1;
                var text = line.ToString().TrimEnd('\r');
                if (text.EndsWith('}') && text.LastIndexOf('{') is var open and >= 0 &&
                    long.TryParse(text.AsSpan(open + 1, text.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                {
                    await SkipAsync(size);
                    line.Clear().Append(text[..open]);
                    continue;
                }

                return text;
            }
        }

        private async Task SkipAsync(long size)
        {
            while (size > 0)
            {
                if (_start == _end)
                {
                    await FillAsync();
                }

                var take = (int)Math.Min(size, _end - _start);
                _start += take;
                size -= take;
            }
        }

        private async Task FillAsync()
        {
            _start = _end = 0;
            var read = await stream.ReadAsync(_buffer);
            _end = read > 0 ? read : throw new IOException("the server closed the connection");
        }
    }
}
