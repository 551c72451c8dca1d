using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MailServerless.Testing;

/// <summary>
/// The real Dovecot (Debian's dovecot-core and dovecot-imapd, installed by tests/run.sh) run
/// without a daemon against one Maildir: dovecot-lda to deliver, the imap binary in PREAUTH mode
/// on stdin/stdout. Dovecot refuses to run mail processes as root, so both run as an
/// unprivileged user that owns the Maildir while Dovecot works on it.
/// </summary>
public sealed partial class DovecotMail : IDisposable
{
    public const string User = "msl-dovecot";
    private readonly string _folder;
    private readonly string _config;

    public DovecotMail(string maildirRoot)
    {
        MaildirRoot = maildirRoot;
        _folder = Path.Combine(Path.GetTempPath(), "msl-dovecot-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _config = Path.Combine(_folder, "dovecot.conf");
        var log = Path.Combine(_folder, "dovecot.log");
        File.WriteAllText(log, string.Empty);
        File.WriteAllText(_config, $"""
            protocols = imap pop3
            base_dir = {_folder}/run
            state_dir = {_folder}/state
            log_path = {log}
            ssl = no
            first_valid_uid = 1
            mail_location = maildir:{maildirRoot}
            """);
        Run("chmod", "755", _folder);
        Run("chmod", "644", _config);
        Run("chmod", "666", log);
        EnsureUser();
    }

    public string MaildirRoot { get; }

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Delivers a message with dovecot-lda into INBOX.</summary>
    public void Deliver(string message)
    {
        GiveToDovecot();
        var result = AsUser("/usr/lib/dovecot/dovecot-lda", ["-c", _config, "-f", "sender@example.net"], message);
        Assert.True(result.ExitCode == 0, $"dovecot-lda: {result.Output}{result.Error}");
    }

    /// <summary>Runs IMAP commands (one per line, tagged by the caller) and returns the whole transcript.</summary>
    public string Imap(params string[] commands)
    {
        GiveToDovecot();
        var input = string.Concat(commands.Select(c => c + "\r\n")) + "z LOGOUT\r\n";
        var result = AsUser("/usr/lib/dovecot/imap", ["-c", _config], input);
        Assert.True(result.ExitCode == 0, $"imap: {result.Output}{result.Error}");
        return result.Output;
    }

    /// <summary>
    /// Runs IMAP commands and returns the transcript's octets as Dovecot wrote them (8-bit text and literal lengths
    /// intact), written to a file by the shell rather than decoded by a reader (Dovecot polls its input, so it comes
    /// through a pipe, not a file).
    /// </summary>
    public byte[] ImapOctets(params string[] commands)
    {
        GiveToDovecot();
        var input = Path.Combine(_folder, "imap-input");
        var output = Path.Combine(_folder, "imap-output");
        File.WriteAllText(input, string.Concat(commands.Select(c => c + "\r\n")) + "z LOGOUT\r\n");
        var line = $"cat {input} | runuser -u {User} -- env -i HOME={Path.GetTempPath()} USER={User} /usr/lib/dovecot/imap -c {_config} > {output}";
        var result = ProcessRunner.RunAsync("sh", ["-c", line], timeout: TimeSpan.FromMinutes(3)).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, $"imap: {result.Output}{result.Error}");
        return File.ReadAllBytes(output);
    }

    /// <summary>
    /// Runs IMAP commands one at a time, each sent only after the previous one's tagged answer: Dovecot runs pipelined
    /// commands in parallel and may answer them out of order, which a comparison per command cannot use.
    /// </summary>
    public byte[] ImapOneByOne(params string[] commands)
    {
        GiveToDovecot();
        var info = new System.Diagnostics.ProcessStartInfo("runuser")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-u", User, "--", "env", "-i", $"HOME={Path.GetTempPath()}", $"USER={User}", "/usr/lib/dovecot/imap", "-c", _config })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("cannot start dovecot's imap");
        var output = process.StandardOutput.BaseStream;
        var transcript = new MemoryStream();
        ReadResponse(output, transcript, "*"); // PREAUTH
        foreach (var command in commands.Append("z LOGOUT"))
        {
            process.StandardInput.Write(command + "\r\n");
            process.StandardInput.Flush();
            ReadResponse(output, transcript, command.Split(' ')[0]);
        }

        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "dovecot's imap did not exit");
        return transcript.ToArray();
    }

    /// <summary>Copies lines (and the literals they announce) until one starts with the tag.</summary>
    private static void ReadResponse(Stream output, MemoryStream transcript, string tag)
    {
        while (true)
        {
            var line = new List<byte>();
            int b;
            while ((b = output.ReadByte()) >= 0)
            {
                line.Add((byte)b);
                if (b == '\n')
                {
                    break;
                }
            }

            if (line.Count == 0)
            {
                throw new InvalidOperationException("dovecot's imap ended early: " + Encoding.Latin1.GetString(transcript.ToArray()));
            }

            transcript.Write([.. line]);
            var text = Encoding.Latin1.GetString([.. line]).TrimEnd('\r', '\n');
            if (LiteralAtEnd().Match(text) is { Success: true } literal)
            {
                var remaining = int.Parse(literal.Groups[1].Value, CultureInfo.InvariantCulture);
                var buffer = new byte[remaining];
                output.ReadExactly(buffer);
                transcript.Write(buffer);
                continue;
            }

            if (text.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    [GeneratedRegex(@"\{(\d+)\}$")]
    private static partial Regex LiteralAtEnd();

    /// <summary>Runs POP3 commands in Dovecot's pop3 (PREAUTH on stdin/stdout) and returns the transcript.</summary>
    public string Pop3(params string[] commands)
    {
        GiveToDovecot();
        var input = string.Concat(commands.Select(c => c + "\r\n")) + "QUIT\r\n";
        var result = AsUser("/usr/lib/dovecot/pop3", ["-c", _config], input);
        Assert.True(result.ExitCode == 0, $"pop3: {result.Output}{result.Error}");
        return result.Output;
    }

    /// <summary>UID → (flags without \Recent) as Dovecot's UID FETCH reports them for a folder.</summary>
    public SortedDictionary<uint, string[]> FetchFlags(string folder = "INBOX")
    {
        var transcript = Imap($"a SELECT \"{folder}\"", "b UID FETCH 1:* (UID FLAGS)");
        var result = new SortedDictionary<uint, string[]>();
        foreach (Match match in FetchLine().Matches(transcript))
        {
            var flags = match.Groups["flags"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(f => f != "\\Recent").Order(StringComparer.Ordinal).ToArray();
            result[uint.Parse(match.Groups["uid"].Value, CultureInfo.InvariantCulture)] = flags;
        }

        return result;
    }

    /// <summary>Hands the Maildir back to root (our side of the test).</summary>
    public static void TakeBack(string root) => Run("chown", "-R", "root:root", root);

    private void GiveToDovecot()
    {
        Run("chown", "-R", $"{User}:{User}", MaildirRoot);

        // The folders above it may be the test's own 0700 ones (the server's umask is 077): let Dovecot's user pass.
        var temp = Path.GetFullPath(Path.GetTempPath()).TrimEnd('/');
        for (var parent = Path.GetDirectoryName(Path.GetFullPath(MaildirRoot)); parent is not null && parent.Length > temp.Length; parent = Path.GetDirectoryName(parent))
        {
            Run("chmod", "o+x", parent);
        }
    }

    private static ProcessRunner.Result AsUser(string program, string[] arguments, string input)
    {
        string[] all = ["-u", User, "--", "env", "-i", $"HOME={Path.GetTempPath()}", $"USER={User}", program, .. arguments];
        return ProcessRunner.RunAsync("runuser", all, input).GetAwaiter().GetResult();
    }

    private static void EnsureUser()
    {
        if (ProcessRunner.RunAsync("id", ["-u", User]).GetAwaiter().GetResult().ExitCode != 0)
        {
            Run("useradd", "-M", "-s", "/usr/sbin/nologin", "-d", "/nonexistent", User);
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        var result = ProcessRunner.RunAsync(program, arguments).GetAwaiter().GetResult();
        // useradd racing another test's useradd is fine as long as the user exists afterwards.
        if (result.ExitCode != 0 && !(program == "useradd" && result.Error.Contains("already exists", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {result.Error}");
        }
    }

    public static string Message(string subject, string body = "Hello\r\n") =>
        new StringBuilder().Append("From: sender@example.net\r\nTo: user1@example.jp\r\nSubject: ").Append(subject)
            .Append("\r\nMessage-ID: <").Append(Guid.NewGuid().ToString("N")).Append("@example.net>\r\n\r\n").Append(body).ToString();

    [GeneratedRegex(@"\* \d+ FETCH \(UID (?<uid>\d+) FLAGS \((?<flags>[^)]*)\)\)")]
    private static partial Regex FetchLine();
}
