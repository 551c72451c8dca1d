using System.Diagnostics;
using System.Text;

namespace MailServerless.ConformanceTests.Sieve;

/// <summary>
/// Dovecot Pigeonhole's <c>sieve-test</c> (Debian's dovecot-sieve), run on a script and a message, its report of the
/// actions read into the same normalized lines as <see cref="Core.Sieve.SieveResult"/>'s: <c>store F [flags=…]</c>,
/// <c>redirect A</c>, <c>discard</c>, <c>reject R</c>, <c>vacation seconds=N subject=S reason=R</c>,
/// <c>track duplicate</c>, and <c>keep [flags=…]</c> for the implicit keep; <c>error</c> when the script does not
/// compile or fails.
/// </summary>
internal static class PigeonholeSieveTest
{
    private const string Program = "/usr/bin/sieve-test";

    /// <summary>The configuration: the extensions off by default enabled, spamtest read from X-Spam-Score (0 to 10).</summary>
    private const string Configuration = """
        mail_uid = nobody
        mail_gid = nogroup
        mail_location = maildir:DIRECTORY/mail
        recipient_delimiter = +
        plugin {
          sieve_extensions = +editheader +spamtest +spamtestplus +virustest +vnd.dovecot.duplicate
          sieve_spamtest_status_type = score
          sieve_spamtest_status_header = X-Spam-Score
          sieve_spamtest_max_value = 10
          sieve_virustest_status_type = value
          sieve_virustest_status_header = X-Virus-Scan
        }
        """;

    public static async Task<IReadOnlyList<string>> RunAsync(string script, string messagePath, string from, string to)
    {
        var directory = Directory.CreateTempSubdirectory("msl-pigeonhole-");
        try
        {
            // sieve-test drops to nobody and writes the compiled script beside the script.
            File.SetUnixFileMode(directory.FullName, (UnixFileMode)0x1FF);
            var config = Path.Combine(directory.FullName, "dovecot.conf");
            await File.WriteAllTextAsync(config, Configuration.Replace("DIRECTORY", directory.FullName, StringComparison.Ordinal));
            var scriptPath = Path.Combine(directory.FullName, "script.sieve");
            await File.WriteAllTextAsync(scriptPath, script);
            var messageCopy = Path.Combine(directory.FullName, "message.eml");
            File.Copy(messagePath, messageCopy);
            foreach (var file in Directory.GetFiles(directory.FullName))
            {
                File.SetUnixFileMode(file, (UnixFileMode)0x1B6);
            }

            var start = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in (string[])["-c", config, "-f", from, "-r", to, scriptPath, messageCopy])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("sieve-test did not start");
            var output = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode != 0 || output.Length == 0 ? ["error"] : Normalize(output + error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Reads sieve-test's "Performed actions" and "Implicit keep" sections.</summary>
    public static IReadOnlyList<string> Normalize(string output)
    {
        var lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var result = new List<string>();
        var section = string.Empty;
        string? pending = null;
        var flags = new List<string>();
        var vacation = new Dictionary<string, string>(StringComparer.Ordinal);
        StringBuilder? body = null;
        var notify = new NotifyLines();

        void Flush()
        {
            if (pending is null)
            {
                return;
            }

            if (pending == "notify")
            {
                pending = notify.Line(vacation);
                notify = new NotifyLines();
            }

            if (pending == "vacation")
            {
                pending = $"vacation seconds={vacation.GetValueOrDefault("seconds", "?")} subject={vacation.GetValueOrDefault("subject", "default")} " +
                          $"reason={(body?.ToString() ?? string.Empty).TrimEnd('\n').Replace("\n", "\\n", StringComparison.Ordinal)}";
            }

            result.Add(pending + (flags.Count > 0 ? " flags=" + string.Join(' ', flags.Select(f => f.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal)) : string.Empty));
            (pending, body) = (null, null);
            flags.Clear();
            vacation.Clear();
        }

        foreach (var raw in lines)
        {
            if (notify.InBody)
            {
                notify.AddBody(raw);
                continue;
            }

            if (body is not null)
            {
                if (raw == "END MESSAGE")
                {
                    Flush();
                }
                else
                {
                    body.Append(raw).Append('\n');
                }

                continue;
            }

            var line = raw.Trim();
            if (line.StartsWith("Performed actions:", StringComparison.Ordinal))
            {
                section = "actions";
                continue;
            }

            if (line.StartsWith("Implicit keep:", StringComparison.Ordinal))
            {
                Flush();
                section = "keep";
                continue;
            }

            if (line.StartsWith("sieve-test:", StringComparison.Ordinal) || section.Length == 0)
            {
                continue;
            }

            if (line == "START MESSAGE")
            {
                body = new StringBuilder();
                continue;
            }

            if (line.StartsWith("* ", StringComparison.Ordinal))
            {
                Flush();
                var action = line[2..];
                pending = action switch
                {
                    _ when action.StartsWith("store message in folder: ", StringComparison.Ordinal) =>
                        section == "keep" ? "keep" : "store " + action["store message in folder: ".Length..],
                    _ when action.StartsWith("redirect message to: ", StringComparison.Ordinal) => "redirect " + action["redirect message to: ".Length..].Trim('<', '>'),
                    _ when action.StartsWith("reject message with reason: ", StringComparison.Ordinal) => "reject " + action["reject message with reason: ".Length..],
                    "send vacation message:" => "vacation",
                    _ when action.StartsWith("send notification with method", StringComparison.Ordinal) => "notify",
                    "discard" => "discard",
                    "track duplicate" => "track duplicate",
                    _ => "unknown " + action,
                };
            }
            else if (line.StartsWith("+ add IMAP flags: ", StringComparison.Ordinal))
            {
                flags.AddRange(line["+ add IMAP flags: ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            else if (pending == "notify" && line.StartsWith("+ ", StringComparison.Ordinal))
            {
                notify.AddField(line[2..]);
            }
            else if (pending == "notify" && line.StartsWith("=> ", StringComparison.Ordinal) && line[3..].TrimStart().StartsWith("body", StringComparison.Ordinal))
            {
                notify.StartBody();
            }
            else if (line.StartsWith("=> ", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                notify.Section = line[3..colon].Trim();
                vacation[line[3..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        Flush();
        return result;
    }

    /// <summary>sieve-test's report of one notification, made into the line our <c>SieveNotify</c> prints.</summary>
    private sealed class NotifyLines
    {
        private readonly List<string> _to = [];
        private readonly List<string> _cc = [];
        private readonly List<string> _headers = [];
        private List<string>? _body;
        private int _dashes;

        public string Section { get; set; } = string.Empty;

        public bool InBody => _body is not null && _dashes < 2;

        public void StartBody() => _body = [];

        public void AddBody(string raw)
        {
            if (raw == "--")
            {
                _dashes++;
            }
            else if (_dashes == 1)
            {
                _body!.Add(raw);
            }
        }

        public void AddField(string field)
        {
            if (Section == "recipients" && field.StartsWith("To: ", StringComparison.Ordinal))
            {
                _to.Add(field[4..]);
            }
            else if (Section == "recipients" && field.StartsWith("Cc: ", StringComparison.Ordinal))
            {
                _cc.Add(field[4..]);
            }
            else
            {
                _headers.Add(field);
            }
        }

        public string Line(IReadOnlyDictionary<string, string> fields)
        {
            var line = new StringBuilder($"notify importance={fields.GetValueOrDefault("importance", "?")}");
            if (fields.TryGetValue("subject", out var subject))
            {
                line.Append(" subject=").Append(subject);
            }

            if (fields.TryGetValue("from", out var from))
            {
                line.Append(" from=").Append(from);
            }

            line.Append(" to=").AppendJoin(',', _to);
            if (_cc.Count > 0)
            {
                line.Append(" cc=").AppendJoin(',', _cc);
            }

            foreach (var header in _headers)
            {
                line.Append(' ').Append(header);
            }

            if (_body is not null)
            {
                line.Append(" body=").AppendJoin("\\n", _body);
            }

            return line.ToString();
        }
    }
}
