using System.Net.Sockets;
using System.Text;
using CsCheck;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// Whole sessions of random commands against the running server, before and after login, for SMTP, IMAP
/// and POP3: known verbs with hostile arguments (quotes, literals, huge numbers, NUL, 8-bit, bare CR).
/// Each session ends with the client's end of stream, after which the server must finish answering and
/// close within seconds (no hang); afterwards the server still serves and has logged no error or crash.
/// 150 sessions per protocol here; a long run sets <c>MSL_FUZZ_SESSIONS</c> (e.g. 20000).
/// </summary>
public sealed class SessionFuzzTests : IAsyncLifetime
{
    private static readonly long Sessions =
        long.TryParse(Environment.GetEnvironmentVariable("MSL_FUZZ_SESSIONS"), out var sessions) && sessions > 0 ? sessions : 150;

    private static readonly TimeSpan CloseWithin = TimeSpan.FromSeconds(15);
    private MailServerInstance _server = null!;

    public async Task InitializeAsync()
    {
        _server = await MailServerInstance.StartAsync(
            "--Mail:Auth:AllowPlaintextWithoutTls=true",
            "--Mail:Auth:FailureDelay=00:00:00",
            "--Mail:Auth:MaxFailuresPerAddress=100000000",
            "--Mail:Auth:MaxFailuresPerAccountAndAddress=100000000",
            "--Mail:Auth:MaxFailuresPerAccount=100000000");
        foreach (var user in new[] { "user1", "user2", "user3" })
        {
            await _server.DeliverAsync(user, "fuzz target one", "Hello.\r\n");
            await _server.DeliverAsync(user, "fuzz target two", "Second.\r\n");
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly Gen<string> Noise =
        Gen.String[Gen.Char[" ()[]{}<>\"\\*%:;,.@+-=~$&!#/0123456789AZaz\u00e9\t\0\r"], 0, 40];

    private static readonly Gen<string> Number =
        Gen.OneOf(Gen.Const("0"), Gen.Const("1"), Gen.Const("2"), Gen.Const("-1"), Gen.Const("4294967296"), Gen.Const("99999999999999999999"), Gen.Int[0, 500].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly Gen<string> Base64 =
        Gen.Byte.Array[0, 40].Select(Convert.ToBase64String);

    /// <summary>A line: a known verb (or noise) and up to six arguments drawn from words the parser knows, numbers and noise.</summary>
    private static Gen<string> Line(string[] verbs, string[] words) =>
        Gen.Frequency((9, Gen.OneOf(verbs)), (1, Noise))
            .Select(Gen.Frequency((6, Gen.OneOf(words)), (2, Number), (1, Base64), (2, Noise)).Array[0, 6], (verb, arguments) => string.Join(' ', [verb, .. arguments]));

    private static Gen<(bool LogIn, string[] Lines)> Session(Gen<string> line) =>
        Gen.Bool.Select(line.Array[1, 12], (logIn, lines) => (logIn, lines));

    private static readonly Gen<(bool LogIn, string[] Lines)> SmtpSessions = Session(Line(
        ["HELO", "EHLO", "MAIL FROM:", "RCPT TO:", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "BDAT", ".", "Subject:", "mail from:<>"],
        ["<user1@example.jp>", "<>", "<a@[127.0.0.1]>", "<\"q u\"@example.jp>", "<@route:x@remote.example>", "<x@remote.example>", "SIZE=99999999999",
         "BODY=8BITMIME", "SMTPUTF8", "PLAIN", "LOGIN", "CRAM-MD5", "=", "*", ".", "..", "<user1@example.jp> NOTIFY=NEVER"]));

    private static readonly Gen<(bool LogIn, string[] Lines)> ImapSessions = Session(
        Gen.Frequency((8, Gen.OneOf("a", "b1", "*", "+", "x.y")), (1, Noise)).Select(Line(
            ["CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
             "UNSUBSCRIBE", "LIST", "LSUB", "STATUS", "APPEND", "CHECK", "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID",
             "IDLE", "DONE", "NAMESPACE", "ENABLE", "ID", "UNSELECT", "GETQUOTA", "GETQUOTAROOT"],
            ["INBOX", "\"a b\"", "1:*", "*", "1", "2:4,7", "(FLAGS BODY[])", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.10>", "BODY[1.2.MIME]",
             "{5}", "{3+}", "~{2}", "{99999999999}", "(\\Seen \\Deleted)", "+FLAGS", "-FLAGS.SILENT", "ALL", "OR", "NOT", "CHARSET", "UTF-8",
             "\"%\"", "\"*\"", "Trash", "&AMk-", "../x", "(MESSAGES UIDNEXT)", "RETURN (COUNT)", "HEADER", "TEXT", "SINCE", "1-Jan-2020", "(", ")", "\"\""]),
            (tag, line) => tag + " " + line));

    private static readonly Gen<(bool LogIn, string[] Lines)> Pop3Sessions = Session(Line(
        ["USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT", "TOP", "UIDL", "CAPA", "STLS", "UTF8", "LANG"],
        ["user1@example.jp", "PLAIN", "LOGIN", "*", "=", "1", "2", "0"]));

    /// <summary>
    /// Runs one session on a plaintext port: the greeting, an optional login, the lines, then end of stream;
    /// the server must have closed within <see cref="CloseWithin"/>.
    /// </summary>
    private static async Task RunAsync(int port, IEnumerable<string> login, (bool LogIn, string[] Lines) session)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        using var deadline = new CancellationTokenSource(CloseWithin);
        var drained = DrainAsync(stream, deadline.Token);
        var text = string.Concat((session.LogIn ? login : []).Concat(session.Lines).Select(line => line + "\r\n"));
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text), deadline.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The server may close first (QUIT, LOGOUT, too many errors): that is an answer too.
        }

        Assert.True(await drained, $"the session did not end within {CloseWithin} after the client's end of stream:\n{text}");
    }

    /// <summary>Reads until the server closes; false when the deadline came first.</summary>
    private static async Task<bool> DrainAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (await stream.ReadAsync(buffer, cancellationToken) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>The fuzz got past the login often enough to reach the commands behind it (half the sessions try).</summary>
    private void AssertLoggedInSessions(string logged)
    {
        var count = _server.Output.Split(logged).Length - 1;
        Assert.True(count >= Sessions / 10, $"only {count} of {Sessions} sessions logged in ('{logged}')");
    }

    private void AssertStillServingWithoutErrors()
    {
        var errors = _server.Output.Split('\n').Where(line => line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "the server logged errors:\n" + _server.Output);
    }

    private static string Plain(string user) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{MailServerInstance.Password}"));

    [Fact]
    public async Task Random_smtp_sessions_end_cleanly_and_leave_the_server_serving()
    {
        await SmtpSessions.SampleAsync(session => RunAsync(_server.Submission, ["EHLO fuzz.example", "AUTH PLAIN " + Plain("user1@example.jp")], session), iter: Sessions, threads: 4);
        await using var wire = await Smtp.SmtpWire.ConnectAsync(_server.Smtp);
        Assert.StartsWith("354", await wire.OpenDataAsync("after.example", "a@remote.example", "user2@example.jp"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("Subject: after the smtp fuzz\r\n\r\nok\r\n."), StringComparison.Ordinal);
        await _server.WaitForMessageAsync("user2", "after the smtp fuzz");
        AssertLoggedInSessions("user=user1@example.jp accepted=");
        AssertStillServingWithoutErrors();
    }

    [Fact]
    public async Task Random_imap_sessions_end_cleanly_and_leave_the_server_serving()
    {
        var users = new[] { "user1", "user2", "user3" };
        await ImapSessions.SampleAsync(
            session => RunAsync(_server.Imap, [$"l LOGIN {users[Math.Abs(session.Lines.Length) % 3]}@example.jp {MailServerInstance.Password}"], session),
            iter: Sessions, threads: 4);
        await using var imap = await Imap.ImapWire.LoggedInAsync(_server.Imaps, "user3");
        Assert.StartsWith("s OK", await imap.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        AssertLoggedInSessions("imap login from [127.0.0.1]");
        AssertStillServingWithoutErrors();
    }

    [Fact]
    public async Task Random_pop3_sessions_end_cleanly_and_leave_the_server_serving()
    {
        await Pop3Sessions.SampleAsync(
            session => RunAsync(_server.Pop3, ["USER user1@example.jp", $"PASS {MailServerInstance.Password}"], session),
            iter: Sessions, threads: 4);
        await using var pop3 = await Smtp.SmtpWire.ConnectAsync(_server.Pop3s, implicitTls: true);
        await pop3.ReadReplyAsync();
        Assert.StartsWith("+OK", await pop3.CommandAsync("USER user2@example.jp"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await pop3.CommandAsync($"PASS {MailServerInstance.Password}"), StringComparison.Ordinal);
        AssertLoggedInSessions("user=user1@example.jp retrieved=");
        AssertStillServingWithoutErrors();
    }
}
