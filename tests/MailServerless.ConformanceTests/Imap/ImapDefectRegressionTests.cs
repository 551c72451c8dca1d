using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// Defects a third-party IMAP compliance and stress test found, each proven fixed on the wire: keywords in FLAGS and
/// PERMANENTFLAGS, \Recent seen by one session however mail arrived, '[' in mailbox names, \Recent refused in STORE and
/// APPEND, folder names in error texts, raw MIME parameters, SEARCH in attached messages and part headers, ENVELOPE
/// addresses as written, and body line counts. The Dovecot differential corpus checks the same on 264 messages.
/// </summary>
public sealed class ImapDefectRegressionTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task AppendAsync(ImapWire wire, string folder, string message, string flags = "")
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        await wire.SendAsync($"ap APPEND {folder} {flags}{{{bytes.Length}+}}\r\n");
        await wire.SendAsync(bytes);
        await wire.SendAsync("\r\n");
        Assert.StartsWith("ap OK [APPENDUID", (await wire.ReadUntilTaggedAsync("ap"))[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keywords_are_in_flags_and_permanentflags_at_select_and_a_new_one_is_announced_before_its_fetch()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await AppendAsync(wire, "INBOX", "Subject: one\r\n\r\nx\r\n", "($Work) ");
        await AppendAsync(wire, "INBOX", "Subject: two\r\n\r\nx\r\n");

        var select = await wire.CommandAsync("s SELECT INBOX");
        Assert.Contains(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded $Work)", select);
        Assert.Contains(@"* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded $Work \*)] Flags permitted.", select);

        var store = await wire.CommandAsync("t STORE 2 +FLAGS ($Urgent)");
        Assert.Equal(
            [
                @"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded $Work $Urgent)",
                @"* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded $Work $Urgent \*)] Flags permitted.",
                "* 2 FETCH (FLAGS (\\Recent $Urgent))",
                "t OK Store completed.",
            ],
            store);
        // Known already: no second announcement.
        Assert.Equal(["* 1 FETCH (FLAGS (\\Recent $Work $Urgent))", "u OK Store completed."], await wire.CommandAsync("u STORE 1 +FLAGS ($Urgent)"));

        // Another session's new keyword reaches this one as FLAGS before the FETCH that shows it.
        await using (var other = await ImapWire.LoggedInAsync(_server.Imaps, "user1"))
        {
            Assert.StartsWith("s OK", await other.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
            Assert.StartsWith("t OK", await other.ResultAsync("t STORE 1 +FLAGS.SILENT ($FromElsewhere)"), StringComparison.Ordinal);
        }

        var noop = await wire.CommandAsync("n NOOP");
        var flags = noop.FindIndex(l => l.StartsWith("* FLAGS", StringComparison.Ordinal));
        var fetch = noop.FindIndex(l => l.Contains("FETCH", StringComparison.Ordinal));
        Assert.True(flags >= 0 && fetch > flags, string.Join("\n", noop));
        Assert.Contains("$FromElsewhere", noop[flags], StringComparison.Ordinal);

        var examine = await wire.CommandAsync("e EXAMINE INBOX");
        Assert.Contains(@"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded $Work $Urgent $FromElsewhere)", examine);
        Assert.Contains("* OK [PERMANENTFLAGS ()] Read-only mailbox.", examine);
    }

    [Fact]
    public async Task Recent_is_seen_by_exactly_one_session_however_the_message_arrived()
    {
        await using var a = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        Assert.StartsWith("c OK", await a.ResultAsync("c CREATE Other"), StringComparison.Ordinal);
        await AppendAsync(a, "Other", "Subject: appended\r\n\r\nx\r\n");

        // Nobody has selected Other since: STATUS and EXAMINE show it recent, and EXAMINE leaves it so.
        Assert.Equal("* STATUS Other (RECENT 1)", (await a.CommandAsync("s STATUS Other (RECENT)"))[0]);
        Assert.Contains("* 1 RECENT", await a.CommandAsync("e EXAMINE Other"));
        Assert.Equal(["* SEARCH 1", "f OK Search completed."], await a.CommandAsync("f SEARCH NEW"));

        // The first SELECT takes it: recent there, and in no other session after.
        var select = await a.CommandAsync("g SELECT Other");
        Assert.Contains("* 1 RECENT", select);
        Assert.Equal("* 1 FETCH (FLAGS (\\Recent))", (await a.CommandAsync("h FETCH 1 FLAGS"))[0]);
        await using (var b = await ImapWire.LoggedInAsync(_server.Imaps, "user5"))
        {
            Assert.Contains("* 0 RECENT", await b.CommandAsync("s SELECT Other"));
            Assert.Equal(["* SEARCH", "t OK Search completed."], await b.CommandAsync("t SEARCH RECENT"));
        }

        // APPEND and COPY into the selected folder: recent to this session, which notices them first.
        await a.SendAsync("ap APPEND Other {22+}\r\nSubject: second\r\n\r\nx\r\n\r\n");
        var appended = await a.ReadUntilTaggedAsync("ap");
        Assert.Contains("* 2 EXISTS", appended);
        Assert.Contains("* 2 RECENT", appended);
        Assert.StartsWith("k OK", await a.ResultAsync("k COPY 1 Other"), StringComparison.Ordinal);
        Assert.Equal(["* SEARCH 1 2 3", "m OK Search completed."], await a.CommandAsync("m SEARCH RECENT"));
        Assert.StartsWith("p OK", await a.ResultAsync("p STORE 2 +FLAGS.SILENT (\\Seen)"), StringComparison.Ordinal);
        Assert.Equal(["* SEARCH 1 3", "q OK Search completed."], await a.CommandAsync("q SEARCH NEW"));
    }

    [Fact]
    public async Task A_bracket_is_an_atom_character_in_mailbox_names_and_list_quotes_it()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2");

        Assert.StartsWith("c OK", await wire.ResultAsync("c CREATE foo[bar"), StringComparison.Ordinal);
        Assert.StartsWith("d OK", await wire.ResultAsync("d CREATE \"x]y\""), StringComparison.Ordinal);
        Assert.StartsWith("s OK [READ-WRITE]", await wire.ResultAsync("s SELECT foo[bar"), StringComparison.Ordinal);
        Assert.StartsWith("t OK [READ-WRITE]", await wire.ResultAsync("t SELECT x]y"), StringComparison.Ordinal);
        var list = await wire.CommandAsync("l LIST \"\" *");
        Assert.Contains(list, l => l.EndsWith(" \"foo[bar\"", StringComparison.Ordinal));
        Assert.Contains(list, l => l.EndsWith(" \"x]y\"", StringComparison.Ordinal));

        // Sections still span spaces after BODY[ and BODY.PEEK[.
        await AppendAsync(wire, "foo[bar", "From: a@example.com\r\nSubject: s\r\n\r\nx\r\n");
        Assert.StartsWith("u OK [READ-WRITE]", await wire.ResultAsync("u SELECT foo[bar"), StringComparison.Ordinal);
        var fetch = await wire.CommandAsync("f FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        Assert.StartsWith("* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {", fetch[0], StringComparison.Ordinal);
        Assert.StartsWith("f OK", fetch[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recent_cannot_be_stored_or_appended_and_the_flags_stay()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        await AppendAsync(wire, "INBOX", "Subject: one\r\n\r\nx\r\n", "(\\Seen) ");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        Assert.StartsWith("t BAD", await wire.ResultAsync("t STORE 1 FLAGS (\\Recent)"), StringComparison.Ordinal);
        Assert.Equal("* 1 FETCH (FLAGS (\\Seen \\Recent))", (await wire.CommandAsync("f FETCH 1 FLAGS"))[0]);

        await wire.SendAsync("ap APPEND INBOX (\\Recent) {5+}\r\nx\r\n\r\n\r\n");
        Assert.StartsWith("ap BAD", (await wire.ReadUntilTaggedAsync("ap"))[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_texts_name_a_japanese_folder_in_modified_utf7()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user4");

        // "&ZeVnLIqe-" is 日本語 in modified UTF-7 (RFC 3501 §5.1.3).
        Assert.Equal("s NO [NONEXISTENT] Mailbox doesn't exist: &ZeVnLIqe-", await wire.ResultAsync("s SELECT &ZeVnLIqe-"));
        Assert.Equal("a NO [TRYCREATE] Mailbox doesn't exist: &ZeVnLIqe-", (await AppendRawAsync(wire, "&ZeVnLIqe-"))[^1]);
    }

    [Fact]
    public async Task Bodystructure_sends_mime_parameters_raw_and_an_rfc2231_extended_value_under_its_own_name()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await AppendAsync(wire, "INBOX",
            "Content-Type: application/pdf; name=\"=?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?=\"\r\n" +
            "Content-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        Assert.Equal(
            "* 1 FETCH (BODYSTRUCTURE (\"application\" \"pdf\" (\"name\" \"=?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?=\") NIL NIL \"base64\" 6 NIL " +
            "(\"attachment\" (\"filename*\" \"UTF-8''R%C3%A9sum%C3%A9.pdf\")) NIL NIL))",
            (await wire.CommandAsync("f FETCH 1 BODYSTRUCTURE"))[0]);
    }

    [Fact]
    public async Task Search_body_and_text_look_into_attached_messages_and_text_into_part_headers()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await AppendAsync(wire, "Drafts",
            "Subject: forward\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Description: partword\r\n\r\nsee below\r\n" +
            "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: innersubject\r\n\r\nthe innerneedle\r\n--b--\r\n");
        await AppendAsync(wire, "Drafts", "Subject: plain\r\n\r\nnothing here\r\n");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT Drafts"), StringComparison.Ordinal);

        Assert.Equal("* SEARCH 1", (await wire.CommandAsync("a SEARCH BODY innerneedle"))[0]);
        Assert.Equal("* SEARCH 1", (await wire.CommandAsync("b SEARCH TEXT innerneedle"))[0]);
        Assert.Equal("* SEARCH 1", (await wire.CommandAsync("c SEARCH TEXT innersubject"))[0]);
        Assert.Equal("* SEARCH 1", (await wire.CommandAsync("d SEARCH TEXT partword"))[0]);
        Assert.Equal("* SEARCH", (await wire.CommandAsync("e SEARCH BODY partword"))[0]);
    }

    [Fact]
    public async Task Envelope_keeps_source_routes_names_a_missing_domain_passes_names_raw_and_from_search_sees_through_comments()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await AppendAsync(wire, "Junk",
            "From: user-from (comment)@ (comment) domain.org\r\nSender: <@route:sender@example.org>\r\nTo: d\r\n" +
            "Cc: =?UTF-8?B?5bGx55Sw?= <taro@example.jp>\r\nSubject: s\r\n\r\nx\r\n");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT Junk"), StringComparison.Ordinal);

        Assert.Equal(
            "* 1 FETCH (ENVELOPE (NIL \"s\" ((\"comment\" NIL \"user-from\" \"domain.org\")) ((NIL \"@route\" \"sender\" \"example.org\")) " +
            "((\"comment\" NIL \"user-from\" \"domain.org\")) ((NIL NIL \"d\" \"MISSING_DOMAIN\")) ((\"=?UTF-8?B?5bGx55Sw?=\" NIL \"taro\" \"example.jp\")) NIL NIL NIL))",
            (await wire.CommandAsync("f FETCH 1 ENVELOPE"))[0]);
        Assert.Equal("* SEARCH 1", (await wire.CommandAsync("a SEARCH FROM user-from@domain.org"))[0]);
    }

    [Fact]
    public async Task Body_lines_count_line_ends_not_an_unterminated_last_line()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await AppendAsync(wire, "Sent", "Subject: s\r\n\r\none\r\ntwo");
        await AppendAsync(wire, "Sent", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT Sent"), StringComparison.Ordinal);

        Assert.Equal("* 1 FETCH (BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 1))", (await wire.CommandAsync("a FETCH 1 BODY"))[0]);
        // The line end before a boundary belongs to the boundary (RFC 2046 §5.1.1): "one" has no line end of its own.
        Assert.Equal(
            "* 2 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0) \"alternative\"))",
            (await wire.CommandAsync("b FETCH 2 BODY"))[0]);
    }

    private static async Task<List<string>> AppendRawAsync(ImapWire wire, string folder)
    {
        await wire.SendAsync($"a APPEND {folder} {{3+}}\r\nx\r\n\r\n");
        return await wire.ReadUntilTaggedAsync("a");
    }
    /// <summary>
    /// Defect 4 (40 ms stalls): answers to commands pipelined in one write go out together, not a segment per line,
    /// which Nagle's algorithm and the client's delayed ACK turn into a stall per command. Counted as the server
    /// socket's data segments (ss -ti), so the test depends on what is sent, not on how long it takes.
    /// </summary>
    [Fact]
    public async Task Pipelined_commands_and_a_two_write_append_are_answered_in_one_segment_each()
    {
        await using (var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2"))
        {
            for (var i = 0; i < 3; i++)
            {
                await AppendAsync(wire, "INBOX", "Subject: segment\r\n\r\nx\r\n");
            }
        }

        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _server.Imaps);
        var localPort = ((System.Net.IPEndPoint)client.Client.LocalEndPoint!).Port;
        await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        using var reader = new StreamReader(tls, Encoding.ASCII);
        async Task Until(string tag)
        {
            while (await reader.ReadLineAsync() is { } line && !line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
            }
        }

        await reader.ReadLineAsync();
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"a LOGIN user2@example.jp {MailServerInstance.Password}\r\nb SELECT INBOX\r\n"));
        await Until("b");

        var before = await DataSegmentsOutAsync(localPort);
        await tls.WriteAsync(Encoding.ASCII.GetBytes("f1 FETCH 1 (FLAGS)\r\nf2 FETCH 2 (FLAGS)\r\nf3 FETCH 3 (FLAGS)\r\nf4 NOOP\r\n"));
        await Until("f4");
        var afterFetches = await DataSegmentsOutAsync(localPort);

        const string literal = "Subject: two writes\r\n\r\nx\r\n";
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"p APPEND INBOX {{{literal.Length}+}}\r\n"));
        await tls.FlushAsync();
        await tls.WriteAsync(Encoding.ASCII.GetBytes(literal + "\r\n"));
        await Until("p");
        var afterAppend = await DataSegmentsOutAsync(localPort);

        Assert.Equal(1, afterFetches - before);
        Assert.Equal(1, afterAppend - afterFetches);
    }

    /// <summary>The server side of the connection from <paramref name="clientPort"/>: its data_segs_out, as ss -ti tells.</summary>
    private async Task<long> DataSegmentsOutAsync(int clientPort)
    {
        var result = await ProcessRunner.RunAsync("ss", ["-tinH", "state", "established", $"( sport = :{_server.Imaps} and dport = :{clientPort} )"]);
        var match = Regex.Match(result.Output, @"data_segs_out:(\d+)");
        Assert.True(match.Success, result.Output + result.Error);
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
