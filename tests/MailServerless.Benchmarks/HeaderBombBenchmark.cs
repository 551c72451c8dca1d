using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.Benchmarks;

/// <summary>
/// How long IMAP takes to answer ENVELOPE, BODYSTRUCTURE and BODY[TEXT] for a message stored with one giant
/// header (as a Maildir written by Dovecot may hold): one line, folded lines, or an address list, each
/// <c>--megabytes</c> (50 by default). The target is under a second per FETCH, against the running server.
/// </summary>
internal static class HeaderBombBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var index = Array.IndexOf(args, "--megabytes");
        var megabytes = index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : 50;
        var size = megabytes * 1024 * 1024;
        var shapes = new (string Name, string User, Func<string> Header)[]
        {
            ("one line", "user1", () => "X-Bomb: " + new string('w', size) + "\n"),
            ("folded", "user2", () => "X-Bomb: start\n" + string.Concat(Enumerable.Repeat(" " + new string('w', 70) + "\n", size / 72))),
            ("addresses", "user3", () => "Cc: " + string.Concat(Enumerable.Repeat("someone@remote.example,\n ", size / 25)) + "last@remote.example\n"),
        };

        await using var server = await MailServerInstance.StartAsync("--Logging:LogLevel:Default=Warning", "--Mail:Auth:AllowPlaintextWithoutTls=true");
        Console.WriteLine($"IMAP FETCH of a message with a {megabytes} MB header (target: under 1 s each)");
        Console.WriteLine($"{"shape",-10} {"ENVELOPE",10} {"BODYSTRUCTURE",14} {"BODY[TEXT]",11}");
        foreach (var (name, user, header) in shapes)
        {
            var folder = Path.Combine(server.MaildirRoot(user), "new");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"1700000000.M1P1.bomb-{user}"),
                "From: sender@remote.example\nSubject: bomb\n" + header() + "\nthe body\n");

            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", server.Imap);
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.Latin1);
            await reader.ReadLineAsync();
            await CommandAsync(stream, reader, $"l LOGIN {user}@example.jp {MailServerInstance.Password}");
            await CommandAsync(stream, reader, "s SELECT INBOX");
            var envelope = await CommandAsync(stream, reader, "e FETCH 1 (ENVELOPE)");
            var structure = await CommandAsync(stream, reader, "b FETCH 1 (BODYSTRUCTURE)");
            var text = await CommandAsync(stream, reader, "t FETCH 1 (BODY.PEEK[TEXT])");
            Console.WriteLine($"{name,-10} {envelope.TotalSeconds,9:F3}s {structure.TotalSeconds,13:F3}s {text.TotalSeconds,10:F3}s");
        }

        return 0;
    }

    /// <summary>Sends a command and reads to its tagged OK; the time from sending to the end of the answer.</summary>
    private static async Task<TimeSpan> CommandAsync(NetworkStream stream, StreamReader reader, string command)
    {
        var tag = command[..command.IndexOf(' ', StringComparison.Ordinal)];
        var watch = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        var octets = 0L;
        while (await reader.ReadLineAsync() is { } line)
        {
            octets += line.Length;

            if (line.StartsWith(tag + " ", StringComparison.Ordinal) && octets == line.Length && command.Contains("FETCH", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{command}: no data before {line}");
            }

            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                return line.StartsWith(tag + " OK", StringComparison.Ordinal)
                    ? watch.Elapsed
                    : throw new InvalidOperationException($"{command}: {line}");
            }
        }

        throw new InvalidOperationException($"{command}: the connection closed");
    }
}
