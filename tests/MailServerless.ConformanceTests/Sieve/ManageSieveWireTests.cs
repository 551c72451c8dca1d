using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Sieve;

/// <summary>
/// ManageSieve on the wire (Python's socket and ssl): every command, literals both ways, quotas, names, and bad
/// input answered with NO rather than a dropped connection.
/// </summary>
public sealed class ManageSieveWireTests : IAsyncLifetime
{
    private const string Client = """
        import socket, ssl, sys, base64
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        f = s.makefile("rb")
        def read_response():
            lines = []
            while True:
                line = f.readline().decode().rstrip("\r\n")
                if line.startswith("{"):
                    n = int(line[1:line.index("}")])
                    lines.append("LITERAL " + f.read(n).decode().replace("\r\n", "\\n"))
                    continue
                lines.append(line)
                if line.startswith(("OK", "NO", "BYE")):
                    return lines
        def cmd(text):
            global f
            s.sendall(text.encode())
            r = read_response()
            print(">>> " + text.split("\r\n")[0] + "\n" + "\n".join(r))
            return r
        read_response()
        cmd('AUTHENTICATE "PLAIN" "x"\r\n')
        cmd('STARTTLS\r\n')
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname="mx.example.jp"); f = s.makefile("rb")
        print("caps after tls: " + " | ".join(read_response()))
        cmd('LISTSCRIPTS\r\n')
        cmd('AUTHENTICATE "PLAIN" "%s"\r\n' % base64.b64encode(b"\0user2@example.jp\0wrong").decode())
        cmd('AUTHENTICATE "PLAIN" "%s"\r\n' % base64.b64encode(b"\0user2@example.jp\0secret").decode())
        script = 'require "fileinto";\r\nfileinto "A";\r\n'
        cmd('HAVESPACE "one" 100\r\n')
        cmd('HAVESPACE "one" 99999999\r\n')
        cmd('PUTSCRIPT "one" {%d+}\r\n%s\r\n' % (len(script.encode()), script))
        cmd('PUTSCRIPT "two" "keep;"\r\n')
        bad = 'if true { keep; '
        cmd('PUTSCRIPT "bad" {%d+}\r\n%s\r\n' % (len(bad), bad))
        cmd('CHECKSCRIPT "stop;"\r\n')
        cmd('PUTSCRIPT "../escape" "keep;"\r\n')
        cmd('SETACTIVE "one"\r\n')
        cmd('SETACTIVE "nosuch"\r\n')
        cmd('LISTSCRIPTS\r\n')
        cmd('GETSCRIPT "one"\r\n')
        cmd('GETSCRIPT "nosuch"\r\n')
        cmd('DELETESCRIPT "one"\r\n')
        cmd('RENAMESCRIPT "two" "one"\r\n')
        cmd('RENAMESCRIPT "one" "renamed"\r\n')
        cmd('LISTSCRIPTS\r\n')
        cmd('DELETESCRIPT "two"\r\n')
        cmd('NOOP "tag1"\r\n')
        cmd('FROB\r\n')
        cmd('PUTSCRIPT "x"\r\n')
        cmd('UNAUTHENTICATE\r\n')
        cmd('LISTSCRIPTS\r\n')
        cmd('LOGOUT\r\n')
        """;

    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync("--Mail:ManageSieve:MaxScripts=3");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_command_answers_as_rfc_5804_says()
    {
        var result = await ProcessRunner.RunAsync("python3", ["-c", Client, _server.ManageSieve.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var replies = Replies(result.Output);

        Assert.StartsWith("NO (ENCRYPT-NEEDED)", replies["AUTHENTICATE \"PLAIN\" \"x\""][0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies["STARTTLS"][0], StringComparison.Ordinal);
        Assert.Contains("\"SASL\" \"PLAIN LOGIN\"", result.Output, StringComparison.Ordinal);
        Assert.StartsWith("NO", replies["LISTSCRIPTS"][0], StringComparison.Ordinal); // not yet authenticated
        Assert.Contains(replies.Keys, k => k.StartsWith("AUTHENTICATE", StringComparison.Ordinal));
        Assert.StartsWith("OK", replies["HAVESPACE \"one\" 100"][0], StringComparison.Ordinal);
        Assert.StartsWith("NO (QUOTA/MAXSIZE)", replies["HAVESPACE \"one\" 99999999"][0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies.Single(r => r.Key.StartsWith("PUTSCRIPT \"one\"", StringComparison.Ordinal)).Value[0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies["PUTSCRIPT \"two\" \"keep;\""][0], StringComparison.Ordinal);
        Assert.Matches("^NO .*line 1", replies.Single(r => r.Key.StartsWith("PUTSCRIPT \"bad\"", StringComparison.Ordinal)).Value[0]);
        Assert.StartsWith("OK", replies["CHECKSCRIPT \"stop;\""][0], StringComparison.Ordinal);
        Assert.StartsWith("NO", replies["PUTSCRIPT \"../escape\" \"keep;\""][0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies["SETACTIVE \"one\""][0], StringComparison.Ordinal);
        Assert.StartsWith("NO (NONEXISTENT)", replies["SETACTIVE \"nosuch\""][0], StringComparison.Ordinal);
        Assert.Equal("LITERAL require \"fileinto\";\\nfileinto \"A\";\\n", replies["GETSCRIPT \"one\""][0]);
        Assert.StartsWith("NO (NONEXISTENT)", replies["GETSCRIPT \"nosuch\""][0], StringComparison.Ordinal);
        Assert.StartsWith("NO (ACTIVE)", replies["DELETESCRIPT \"one\""][0], StringComparison.Ordinal);
        Assert.StartsWith("NO (ALREADYEXISTS)", replies["RENAMESCRIPT \"two\" \"one\""][0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies["RENAMESCRIPT \"one\" \"renamed\""][0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies["DELETESCRIPT \"two\""][0], StringComparison.Ordinal);
        Assert.Equal("OK (TAG \"tag1\") \"Done\"", replies["NOOP \"tag1\""][0]);
        Assert.StartsWith("NO", replies["FROB"][0], StringComparison.Ordinal);
        Assert.StartsWith("NO", replies["PUTSCRIPT \"x\""][0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies["UNAUTHENTICATE"][0], StringComparison.Ordinal);
        Assert.StartsWith("OK", replies["LOGOUT"][0], StringComparison.Ordinal);

        // After the rename the active link follows the script; "bad" did not compile, so it was not stored.
        var root = _server.MaildirRoot("user2");
        Assert.Equal(Path.Combine("sieve", "renamed.sieve"), new FileInfo(Path.Combine(root, ".dovecot.sieve")).LinkTarget);
        Assert.Equal(["renamed.sieve"], Directory.GetFiles(Path.Combine(root, "sieve")).Select(Path.GetFileName));
        Assert.False(File.Exists(Path.Combine(_server.DataDirectory, "virtual", "example.jp", "escape.sieve")));
    }

    [Fact]
    public async Task Script_count_quota_is_refused_with_maxscripts()
    {
        const string quota = """
            import socket, ssl, sys, base64
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); f = s.makefile("rb")
            def resp():
                while True:
                    l = f.readline().decode().rstrip("\r\n")
                    if l.startswith(("OK", "NO", "BYE")): return l
            resp(); s.sendall(b"STARTTLS\r\n"); resp()
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s); f = s.makefile("rb"); resp()
            s.sendall(('AUTHENTICATE "PLAIN" "%s"\r\n' % base64.b64encode(b"\0user3@example.jp\0secret").decode()).encode()); print(resp())
            for n in ["a", "b", "c", "d"]:
                s.sendall(('PUTSCRIPT "%s" "keep;"\r\n' % n).encode()); print(resp())
            """;
        var result = await ProcessRunner.RunAsync("python3", ["-c", quota, _server.ManageSieve.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(60));
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.All(lines[..4], l => Assert.StartsWith("OK", l, StringComparison.Ordinal));
        Assert.StartsWith("NO (QUOTA/MAXSCRIPTS)", lines[4], StringComparison.Ordinal);
    }

    /// <summary>The client's output: each command (its first line) and the lines of its reply.</summary>
    private static Dictionary<string, List<string>> Replies(string output)
    {
        var replies = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith(">>> ", StringComparison.Ordinal))
            {
                current = [];
                replies[line[4..]] = current;
            }
            else if (current is not null && line.Length > 0 && !line.StartsWith("caps after tls", StringComparison.Ordinal))
            {
                current.Add(line);
            }
        }

        return replies;
    }
}
