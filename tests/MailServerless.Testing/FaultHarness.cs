using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace MailServerless.Testing;

/// <summary>What the fault harness sends to, kills and reads: one all-in-one server, or edge servers and workers.</summary>
public interface IFaultTarget
{
    /// <summary>The SMTP (MX) ports to send to; senders take turns.</summary>
    IReadOnlyList<int> SmtpPorts { get; }

    /// <summary>Kills a process of the system with SIGKILL and starts it again on the same data.</summary>
    Task KillAndRestartAsync(Random random);

    string MaildirRoot(string localPart);

    /// <summary>Waits until nothing accepted is still waiting for delivery.</summary>
    Task WaitUntilDeliveredAsync(TimeSpan timeout);
}

/// <summary>What a fault run found: messages whose 250 reached the client, and how many are lost or doubled.</summary>
public sealed record FaultReport(int Acknowledged, int Unacknowledged, int Lost, int Duplicated, int KillCycles, IReadOnlyList<string> Problems);

/// <summary>
/// Parallel SMTP senders, each message with a unique token and two recipients, while the server is killed
/// with SIGKILL at random moments and started again on the same data. Afterwards every Maildir is read:
/// <b>lost</b> = a message whose <c>250</c> the client got and that is missing from a recipient's Maildir;
/// <b>duplicated</b> = a token more than once in one Maildir (acknowledged or not).
/// </summary>
public static partial class FaultHarness
{
    private static readonly string[] Users = ["user1", "user2", "user3", "user4", "user5"];

    /// <param name="messages">At least this many; sending goes on until the last kill.</param>
    public static async Task<FaultReport> RunAsync(IFaultTarget server, int messages, int senders, int killCycles, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(server);
        var acknowledged = new ConcurrentDictionary<string, string[]>();
        var unacknowledged = new ConcurrentDictionary<string, string[]>();
        var next = -1;
        var killing = 1;
        var random = new Random(seed);
        using var stop = new CancellationTokenSource();

        async Task SendAllAsync()
        {
            while (true)
            {
                var n = Interlocked.Increment(ref next);
                // At least `messages`, and on until the last kill: every kill lands under load.
                if (n >= messages && Volatile.Read(ref killing) == 0)
                {
                    return;
                }

                var token = $"tok{n:D6}x{Guid.NewGuid():N}"[..26];
                string[] recipients = [Users[n % Users.Length], Users[(n + 2) % Users.Length]];
                for (var attempt = 0; ; attempt++)
                {
                    var result = await TrySendAsync(server.SmtpPorts[n % server.SmtpPorts.Count], token, recipients);
                    if (result == true)
                    {
                        acknowledged[token] = recipients;
                        break;
                    }

                    if (result is null)
                    {
                        // The server may or may not have the message: it may appear once, never twice.
                        unacknowledged[token] = recipients;
                    }

                    // Refused or cut off (the server is down): a new token for a new try, as a client would resend.
                    token = $"tok{n:D6}r{Guid.NewGuid():N}"[..26];
                    await Task.Delay(100);
                }
            }
        }

        var sending = Enumerable.Range(0, senders).Select(_ => Task.Run(SendAllAsync)).ToList();
        var cycles = 0;
        while (cycles < killCycles)
        {
            await Task.Delay(random.Next(300, 1500));
            await server.KillAndRestartAsync(random);
            cycles++;
        }

        Volatile.Write(ref killing, 0);

        await Task.WhenAll(sending);
        await server.WaitUntilDeliveredAsync(TimeSpan.FromMinutes(2));
        return Check(server, acknowledged, unacknowledged, cycles);
    }

    /// <summary>True: 250 after the body; false: refused before DATA or no connection; null: cut off after the body was sent.</summary>
    public static async Task<bool?> TrySendAsync(int port, string token, string[] recipients)
    {
        var bodySent = false;
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            async Task<string> ReplyAsync()
            {
                string? line;
                do
                {
                    line = await reader.ReadLineAsync(timeout.Token) ?? throw new IOException("closed");
                }
                while (line.Length > 3 && line[3] == '-');
                return line;
            }

            async Task<string> CommandAsync(string command)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token);
                return await ReplyAsync();
            }

            if (!(await ReplyAsync()).StartsWith("220", StringComparison.Ordinal) ||
                !(await CommandAsync("EHLO harness.example")).StartsWith("250", StringComparison.Ordinal) ||
                !(await CommandAsync("MAIL FROM:<harness@remote.example>")).StartsWith("250", StringComparison.Ordinal))
            {
                return false;
            }

            foreach (var recipient in recipients)
            {
                if (!(await CommandAsync($"RCPT TO:<{recipient}@example.jp>")).StartsWith("250", StringComparison.Ordinal))
                {
                    return false;
                }
            }

            if (!(await CommandAsync("DATA")).StartsWith("354", StringComparison.Ordinal))
            {
                return false;
            }

            var body = $"Subject: {token}\r\nMessage-ID: <{token}@harness.example>\r\n\r\n{token}\r\n{new string('x', 2000)}\r\n.\r\n";
            bodySent = true;
            var final = await CommandAsync(body[..^2]);
            return final.StartsWith("250", StringComparison.Ordinal) ? true : null;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            return bodySent ? null : false;
        }
    }

    private static FaultReport Check(
        IFaultTarget server, ConcurrentDictionary<string, string[]> acknowledged, ConcurrentDictionary<string, string[]> unacknowledged, int cycles)
    {
        var problems = new List<string>();
        var counts = new Dictionary<(string User, string Token), int>();
        foreach (var user in Users)
        {
            var root = server.MaildirRoot(user);
            foreach (var file in new[] { "new", "cur" }.Select(s => Path.Combine(root, s)).Where(Directory.Exists).SelectMany(Directory.EnumerateFiles))
            {
                var match = Token().Match(File.ReadAllText(file));
                if (match.Success)
                {
                    counts[(user, match.Value)] = counts.GetValueOrDefault((user, match.Value)) + 1;
                }
            }
        }

        var lost = 0;
        foreach (var (token, recipients) in acknowledged)
        {
            foreach (var user in recipients.Where(u => counts.GetValueOrDefault((u, token)) == 0))
            {
                lost++;
                problems.Add($"lost: {token} for {user}");
            }
        }

        var duplicated = counts.Where(c => c.Value > 1).ToList();
        problems.AddRange(duplicated.Select(d => $"duplicated: {d.Key.Token} x{d.Value} for {d.Key.User}"));
        return new FaultReport(acknowledged.Count, unacknowledged.Count, lost, duplicated.Count, cycles, problems);
    }

    [GeneratedRegex("tok[0-9]{6}[xr][0-9a-f]{16}")]
    private static partial Regex Token();
}
