using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.Benchmarks;

/// <summary>
/// The load of the classic stack's benchmark (<c>smtp-source -s 1</c> per worker): 16 parallel
/// sessions, one 4 KiB message per connection, to random mailboxes among user1..user98 on the MX
/// port. Prints accepted messages/s, messages/s until all are in Maildir <c>new/</c>, server CPU per
/// message, and the server's memory per idle connection. With <c>--checks on</c> (the default, as the server's own
/// default) each message is DKIM-signed by a sender domain that a loopback dnsmasq publishes SPF, DKIM and DMARC
/// records for, and the MX checks them all; <c>--checks off</c> sends the same messages with the checks turned off.
/// <c>--sieve off</c> turns Sieve off, so its default before-script (run on every delivery) can be priced.
/// </summary>
internal static class SmtpBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Option(args, "--messages", 20_000);
        var sessions = Option(args, "--sessions", 16);
        var idle = Option(args, "--idle", 500);
        var checks = Array.IndexOf(args, "--checks") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] != "off" : true;
        var sieve = Array.IndexOf(args, "--sieve") is var sieveAt and >= 0 && sieveAt + 1 < args.Length ? args[sieveAt + 1] != "off" : true;
        using var key = System.Security.Cryptography.RSA.Create(2048);
        await using var dns = await LoopbackDns.StartAsync(
            "--txt-record=bench.example.net,v=spf1 ip4:127.0.0.1 -all",
            "--txt-record=_dmarc.bench.example.net,v=DMARC1; p=reject",
            "--txt-record=sel._domainkey.bench.example.net," +
            string.Join(',', ("v=DKIM1; k=rsa; p=" + Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())).Chunk(200).Select(c => new string(c))));
        await using var server = await StartServerAsync($"--Mail:Dns:Servers={dns.Server}", $"--Mail:Authentication:Enabled={checks}", $"--Mail:Sieve:Enabled={sieve}");
        Console.WriteLine($"# smtp benchmark: {messages} x 4 KiB, {sessions} sessions, one message per connection, checks {(checks ? "on" : "off")}, sieve {(sieve ? "on" : "off")}, pid {server.ProcessId}");
        var body = Message(key);

        var cpuBefore = server.CpuTime;
        var (userBefore, systemBefore) = server.UserAndSystemTicks;
        var watch = Stopwatch.StartNew();
        var next = -1;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, sessions).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < messages)
            {
                if (!await SendOneAsync(server.Instance.Smtp, $"user{Random.Shared.Next(1, 99)}@example.jp", body))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        var accepted = watch.Elapsed;
        while (CountDelivered(server.Instance) < messages - failures && watch.Elapsed < accepted + TimeSpan.FromMinutes(10))
        {
            await Task.Delay(20);
        }

        var delivered = watch.Elapsed;
        var cpu = server.CpuTime - cpuBefore;
        var (userAfter, systemAfter) = server.UserAndSystemTicks;
        Report("smtp_accepted", messages / accepted.TotalSeconds, "msg/s");
        Report("smtp_to_maildir", messages / delivered.TotalSeconds, "msg/s");
        Report("smtp_server_cpu_per_message", cpu.TotalMilliseconds / messages, "ms");
        Report("smtp_server_user_cpu_per_message", (userAfter - userBefore) * 10.0 / messages, "ms");
        Report("smtp_server_system_cpu_per_message", (systemAfter - systemBefore) * 10.0 / messages, "ms");
        Report("smtp_failed_sessions", failures, "count");

        var rssBefore = server.ResidentBytes;
        var clients = new List<TcpClient>();
        for (var i = 0; i < idle; i++)
        {
            var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", server.Instance.Smtp);
            var stream = client.GetStream();
            await stream.ReadExactlyAsync(new byte[5]);
            clients.Add(client);
        }

        await Task.Delay(1000);
        Report("smtp_rss_per_idle_connection", (server.ResidentBytes - rssBefore) / (double)idle / 1024, "KiB");
        clients.ForEach(c => c.Dispose());
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// <c>serve</c>: starts the server with the benchmark accounts (user1..user110@example.jp, password
    /// "secret", MD5-CRYPT), prints "port=… pid=… maildirs=…", and runs until standard input closes.
    /// For driving the server with another load tool, such as the classic stack's own benchmark client.
    /// </summary>
    /// <summary>
    /// Runs a server for an outside client (compare-postfix.sh, compare-dovecot-imap.sh) until standard input
    /// ends; a line "restart" on it restarts the server process on the same data (a cold start) and prints its pid.
    /// </summary>
    /// <param name="mysql">A PostfixAdmin database to use as the directory as it is (the classic stack's own), instead of a seeded SQLite one.</param>
    public static async Task<int> ServeAsync(string? mysql = null)
    {
        await using var server = mysql is null ? await StartServerAsync() : await StartOnDatabaseAsync(mysql);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"port={server.Instance.Smtp} pop3={server.Instance.Pop3} imap={server.Instance.Imap} pid={server.ProcessId} maildirs={Path.Combine(server.Instance.DataDirectory, "virtual", "example.jp")}/user*"));
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line.Trim() == "restart")
            {
                await server.Instance.RestartAsync();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"restarted pid={server.ProcessId}"));
            }
        }

        return 0;
    }

    private static async Task<BenchServer> StartOnDatabaseAsync(string mysql)
    {
        var instance = await MailServerInstance.StartOnExistingDatabaseAsync(mysql, [.. BenchSettings]);
        instance.KeepDatabase = true;
        return new BenchServer(instance);
    }

    private static readonly string[] BenchSettings =
    [
        "--Logging:LogLevel:Default=Warning", "--Mail:Smtp:MaxConnectionsPerClient=1000", "--Mail:Imap:MaxConnectionsPerClient=2000",
        "--Mail:Auth:AllowPlaintextWithoutTls=true", // the anchor benchmark also logs in without TLS
    ];

    private static async Task<BenchServer> StartServerAsync(params string[] settings)
    {
        var instance = await MailServerInstance.StartAsync([.. BenchSettings, .. settings]);
        var database = DirectoryDatabase.Sqlite($"Data Source={Path.Combine(instance.DataDirectory, "directory.db")}");
        var passwords = new PasswordService("MD5-CRYPT", "MD5-CRYPT", NullLogger<PasswordService>.Instance);
        var admin = new DirectoryAdministration(database, passwords, TimeProvider.System);
        for (var i = 1; i <= 100; i++)
        {
            await admin.CreateMailboxAsync($"user{i + 10}@example.jp", MailServerInstance.Password, $"User {i}", 0);
        }

        // user6..user10 besides the instance's own user1..user5, as the classic benchmark's user1..user100.
        for (var i = 6; i <= 10; i++)
        {
            await admin.CreateMailboxAsync($"user{i}@example.jp", MailServerInstance.Password, $"User {i}", 0);
        }

        return new BenchServer(instance);
    }

    private static async Task<bool> SendOneAsync(int port, string recipient, byte[] body)
    {
        try
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync("127.0.0.1", port);
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII);
            await reader.ReadLineAsync();
            async Task<string> Command(string line)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
                string? reply;
                do
                {
                    reply = await reader.ReadLineAsync();
                }
                while (reply is { Length: > 3 } && reply[3] == '-');
                return reply ?? string.Empty;
            }

            await Command("EHLO bench.example");
            await Command("MAIL FROM:<bench@bench.example.net>");
            if (!(await Command($"RCPT TO:<{recipient}>")).StartsWith("250", StringComparison.Ordinal) ||
                !(await Command("DATA")).StartsWith("354", StringComparison.Ordinal))
            {
                return false;
            }

            await stream.WriteAsync(body);
            var queued = await Command(".");
            await Command("QUIT");
            return queued.StartsWith("250", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int CountDelivered(MailServerInstance instance)
    {
        var domain = Path.Combine(instance.DataDirectory, "virtual", "example.jp");
        return Directory.Exists(domain)
            ? Directory.EnumerateDirectories(domain).Sum(m => Directory.Exists(Path.Combine(m, "new")) ? Directory.EnumerateFiles(Path.Combine(m, "new")).Count() : 0)
            : 0;
    }

    /// <summary>A 4 KiB message from bench.example.net, signed with its published key (relaxed/relaxed, as DkimSigning does).</summary>
    private static byte[] Message(System.Security.Cryptography.RSA key)
    {
        var text = new StringBuilder();
        while (text.Length < 4096 - 700)
        {
            text.Append("0123456789012345678901234567890123456789012345678901234567890123456789012345\r\n");
        }

        var message = new MimeKit.MimeMessage();
        message.From.Add(MimeKit.MailboxAddress.Parse("bench@bench.example.net"));
        message.To.Add(MimeKit.MailboxAddress.Parse("user@example.jp"));
        message.Subject = "benchmark";
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = "bench@bench.example.net";
        message.Body = new MimeKit.TextPart("plain") { Text = text.ToString() };
        using var pem = new MemoryStream(Encoding.ASCII.GetBytes(key.ExportRSAPrivateKeyPem()));
        var signer = new MimeKit.Cryptography.DkimSigner(pem, "bench.example.net", "sel")
        {
            HeaderCanonicalizationAlgorithm = MimeKit.Cryptography.DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = MimeKit.Cryptography.DkimCanonicalizationAlgorithm.Relaxed,
        };
        message.Prepare(MimeKit.EncodingConstraint.SevenBit);
        signer.Sign(message, [MimeKit.HeaderId.From, MimeKit.HeaderId.To, MimeKit.HeaderId.Subject, MimeKit.HeaderId.Date, MimeKit.HeaderId.MessageId]);
        var options = MimeKit.FormatOptions.Default.Clone();
        options.NewLineFormat = MimeKit.NewLineFormat.Dos;
        using var output = new MemoryStream();
        message.WriteTo(options, output);
        var wire = Encoding.ASCII.GetString(output.ToArray()).Replace("\r\n.", "\r\n..", StringComparison.Ordinal).TrimEnd('\r', '\n');
        return Encoding.ASCII.GetBytes(wire + "\r\n");
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BENCH {name} {value:F2} {unit}"));

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>The server process under test, with its CPU time and resident memory read from /proc.</summary>
    private sealed class BenchServer(MailServerInstance instance) : IAsyncDisposable
    {
        public MailServerInstance Instance => instance;

        public int ProcessId => instance.ProcessId;

        public TimeSpan CpuTime
        {
            get
            {
                using var process = Process.GetProcessById(ProcessId);
                return process.TotalProcessorTime;
            }
        }

        /// <summary>utime and stime from /proc/PID/stat, in clock ticks (1/100 s).</summary>
        public (long User, long System) UserAndSystemTicks
        {
            get
            {
                var stat = File.ReadAllText($"/proc/{ProcessId}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (long.Parse(fields[11], CultureInfo.InvariantCulture), long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
        }

        public long ResidentBytes
        {
            get
            {
                using var process = Process.GetProcessById(ProcessId);
                process.Refresh();
                return process.WorkingSet64;
            }
        }

        public ValueTask DisposeAsync() => instance.DisposeAsync();
    }
}
