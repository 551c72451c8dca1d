using System.Text;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>IMAP rules and wrong input on the wire: states, syntax, literals, sequence sets, sections, names, limits.</summary>
public sealed class ImapBehaviourTests : IAsyncLifetime
{
    private const string Nested =
        "From: Outer <outer@example.net>\r\nTo: user1@example.jp\r\nSubject: nested\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
        "preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfirst part\r\n" +
        "--b1\r\nContent-Type: message/rfc822\r\n\r\n" +
        "From: Inner <inner@example.net>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n" +
        "--b2\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>inner html</p>\r\n--b2--\r\n" +
        "\r\n--b1--\r\nepilogue\r\n";

    private MailServerInstance _server = null!;

    public async Task InitializeAsync() =>
        _server = await MailServerInstance.StartAsync("--Mail:Auth:MaxFailuresPerAddress=4", "--Mail:Imap:MaxAppendSize=100000");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<string> AppendAsync(ImapWire wire, string folder, string message, string flags = "")
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        await wire.SendAsync($"ap APPEND {folder} {flags}{{{bytes.Length}+}}\r\n");
        await wire.SendAsync(bytes);
        await wire.SendAsync("\r\n");
        var result = (await wire.ReadUntilTaggedAsync("ap"))[^1];
        Assert.StartsWith("ap OK [APPENDUID", result, StringComparison.Ordinal);
        return result;
    }

    [Fact]
    public async Task Unknown_malformed_and_wrong_state_commands_get_bad_and_the_session_goes_on()
    {
        await using var wire = await ImapWire.ConnectAsync(_server.Imaps, implicitTls: true);
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev1", wire.Greeting, StringComparison.Ordinal);

        Assert.Equal("a BAD Unknown command.", await wire.ResultAsync("a XYZZY"));
        Assert.Equal("b BAD Command not allowed in this state.", await wire.ResultAsync("b SELECT INBOX"));
        Assert.Equal("c BAD Command not allowed in this state.", await wire.ResultAsync("c FETCH 1 FLAGS"));
        Assert.StartsWith("d BAD", await wire.ResultAsync("d LOGIN onlyuser"), StringComparison.Ordinal);
        Assert.StartsWith("e BAD", await wire.ResultAsync("e LOGIN \"unterminated"), StringComparison.Ordinal);
        await wire.SendAsync("* NOOP\r\n\r\n");
        Assert.Equal("* BAD Invalid tag.", await wire.ReadLineAsync());
        Assert.Equal("* BAD Empty command line.", await wire.ReadLineAsync());
        Assert.StartsWith("g OK [CAPABILITY", await wire.ResultAsync($"g LOGIN user1@example.jp {MailServerInstance.Password}"), StringComparison.Ordinal);
        Assert.Equal("h BAD Command not allowed in this state.", await wire.ResultAsync("h EXPUNGE"));
        Assert.Equal("i BAD Already logged in.", await wire.ResultAsync("i LOGIN a b"));
        Assert.StartsWith("j OK", await wire.ResultAsync("j SELECT INBOX"), StringComparison.Ordinal);
        Assert.StartsWith("k BAD", await wire.ResultAsync("k STORE 1 FLAGZ (\\Seen)"), StringComparison.Ordinal);
        Assert.StartsWith("l BAD", await wire.ResultAsync("l FETCH 1 (FLAGS BOGUS)"), StringComparison.Ordinal);
        Assert.StartsWith("m BAD", await wire.ResultAsync("m UID XYZZY 1"), StringComparison.Ordinal);
        Assert.StartsWith("n OK", await wire.ResultAsync("n NOOP"), StringComparison.Ordinal);
        // A line over the limit cannot be resynchronised (its end may announce a literal): answered, then closed.
        Assert.Equal("f BAD Command line too long.", await wire.ResultAsync("f NOOP " + new string('x', 70_000)));
        Assert.Equal("* BYE Command line too long.", await wire.ReadLineAsync());
    }

    [Fact]
    public async Task Too_many_bad_commands_end_the_connection()
    {
        await using var wire = await ImapWire.ConnectAsync(_server.Imaps, implicitTls: true);
        for (var i = 0; i < 19; i++)
        {
            Assert.StartsWith($"t{i} BAD", await wire.ResultAsync($"t{i} BOGUS"), StringComparison.Ordinal);
        }

        Assert.StartsWith("t19 BAD", await wire.ResultAsync("t19 BOGUS"), StringComparison.Ordinal);

        Assert.Equal("* BYE Too many invalid IMAP commands.", await wire.ReadLineAsync());
        Assert.Null(await wire.ReadLineAsync());
    }

    [Fact]
    public async Task Login_is_disabled_before_starttls_and_pipelined_plaintext_does_not_survive_the_handshake()
    {
        await using var wire = await ImapWire.ConnectAsync(_server.Imap);
        Assert.Contains("LOGINDISABLED", wire.Greeting, StringComparison.Ordinal);
        Assert.DoesNotContain("AUTH=PLAIN", wire.Greeting, StringComparison.Ordinal);

        Assert.StartsWith("a NO [PRIVACYREQUIRED]", await wire.ResultAsync($"a LOGIN user1@example.jp {MailServerInstance.Password}"), StringComparison.Ordinal);
        Assert.StartsWith("b NO [PRIVACYREQUIRED]", await wire.ResultAsync("b AUTHENTICATE PLAIN AHVzZXIxQGV4YW1wbGUuanAAc2VjcmV0"), StringComparison.Ordinal);
        // STARTTLS injection (CVE-2011-0411 style): a command sent in plaintext after STARTTLS is dropped.
        await wire.SendAsync($"c STARTTLS\r\nd LOGIN user1@example.jp {MailServerInstance.Password}\r\n");
        Assert.Equal("c OK Begin TLS negotiation now.", await wire.ReadLineAsync());
        await wire.StartTlsAsync();
        var capability = await wire.CommandAsync("e CAPABILITY");

        Assert.Equal(2, capability.Count);
        Assert.Contains("AUTH=PLAIN", capability[0], StringComparison.Ordinal);
        Assert.DoesNotContain("STARTTLS", capability[0], StringComparison.Ordinal);
        Assert.StartsWith("f BAD", await wire.ResultAsync("f SELECT INBOX"), StringComparison.Ordinal);
        await wire.SendAsync("g AUTHENTICATE PLAIN\r\n");
        Assert.Equal("+ ", await wire.ReadLineAsync());
        await wire.SendAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0user1@example.jp\0{MailServerInstance.Password}")) + "\r\n");
        Assert.StartsWith("g OK [CAPABILITY", (await wire.ReadUntilTaggedAsync("g"))[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_logins_are_throttled_per_address_even_with_the_right_password_afterwards()
    {
        await using var wire = await ImapWire.ConnectAsync(_server.Imaps, implicitTls: true);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"a{i} NO [AUTHENTICATIONFAILED] Authentication failed.", await wire.ResultAsync($"a{i} LOGIN user1@example.jp wrong{i}"));
        }

        Assert.StartsWith("b NO [UNAVAILABLE]", await wire.ResultAsync($"b LOGIN user1@example.jp {MailServerInstance.Password}"), StringComparison.Ordinal);
        Assert.Contains("imap authentication failed from [127.0.0.1] user=user1@example.jp", _server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Literals_over_the_limit_are_refused_unread_and_an_append_cut_short_leaves_nothing()
    {
        await using (var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2"))
        {
            Assert.Equal("a NO [TOOBIG] Literal too large.", await wire.ResultAsync("a APPEND INBOX {100001}"));
            Assert.Equal("b NO [TOOBIG] Literal too large.", await wire.ResultAsync("b LOGIN {70000}"));
            Assert.StartsWith("c OK", await wire.ResultAsync("c NOOP"), StringComparison.Ordinal);
            await wire.SendAsync("d APPEND INBOX {500000+}\r\n");
            Assert.Equal("* BYE [TOOBIG] Literal too large.", await wire.ReadLineAsync());
        }

        await using (var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2"))
        {
            await wire.SendAsync("e APPEND INBOX (\\Seen) {1000}\r\n");
            Assert.StartsWith("+ ", await wire.ReadLineAsync(), StringComparison.Ordinal);
            await wire.SendAsync(Encoding.ASCII.GetBytes("Subject: cut short\r\n\r\n" + new string('x', 400)));
        }

        await Task.Delay(500);
        var root = _server.MaildirRoot("user2");
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "new")).Concat(Directory.GetFiles(Path.Combine(root, "cur"))).Concat(Directory.GetFiles(Path.Combine(root, "tmp"))));
    }

    [Fact]
    public async Task Sequence_sets_are_checked_and_huge_uid_ranges_cost_nothing()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        await AppendAsync(wire, "INBOX", "Subject: one\r\n\r\n1\r\n");
        await AppendAsync(wire, "INBOX", "Subject: two\r\n\r\n2\r\n");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        Assert.StartsWith("a BAD", await wire.ResultAsync("a FETCH 0 FLAGS"), StringComparison.Ordinal);
        Assert.StartsWith("b BAD", await wire.ResultAsync("b FETCH 3 FLAGS"), StringComparison.Ordinal);
        Assert.StartsWith("c BAD", await wire.ResultAsync("c FETCH 1:abc FLAGS"), StringComparison.Ordinal);
        Assert.StartsWith("d BAD", await wire.ResultAsync("d FETCH 4294967296 FLAGS"), StringComparison.Ordinal);
        Assert.StartsWith("e BAD", await wire.ResultAsync("e FETCH 01 FLAGS"), StringComparison.Ordinal);
        var all = await wire.CommandAsync("f UID FETCH 1:4294967295 (FLAGS)");
        var star = await wire.CommandAsync("g FETCH *:1 (UID)");
        var none = await wire.CommandAsync("h UID FETCH 1000:* (UID)");
        var search = await wire.CommandAsync("i UID SEARCH UID 2:4294967295 NOT DELETED");

        Assert.Equal(3, all.Count);
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)"], star.Take(2));
        // RFC 3501 §6.4.8: n:* with n above the highest UID still matches the highest.
        Assert.Equal("* 2 FETCH (UID 2)", none[0]);
        Assert.Equal("* SEARCH 2", search[0]);
        Assert.StartsWith("j NO [BADCHARSET (UTF-8 US-ASCII)]", await wire.ResultAsync("j SEARCH CHARSET KOI8-R ALL"), StringComparison.Ordinal);
        Assert.StartsWith("k BAD", await wire.ResultAsync("k SEARCH BEFORE 31-Foo-2020"), StringComparison.Ordinal);
        Assert.StartsWith("l BAD", await wire.ResultAsync("l SEARCH OR SEEN"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sections_headers_parts_nested_messages_and_partials_are_the_stored_octets()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await AppendAsync(wire, "INBOX", Nested);
        Assert.StartsWith("s OK", await wire.ResultAsync("s EXAMINE INBOX"), StringComparison.Ordinal);

        async Task<string> Section(string section)
        {
            await wire.SendAsync($"f UID FETCH 1 (BODY.PEEK[{section}])\r\n");
            var header = await wire.ReadLineAsync();
            Assert.Matches(@"^\* 1 FETCH \(UID 1 BODY\[.*\](<\d+>)? (\{\d+\}|"")", header);
            var lines = await wire.ReadUntilTaggedAsync("f");
            Assert.StartsWith("f OK", lines[^1], StringComparison.Ordinal);
            if (header!.EndsWith("\"\")", StringComparison.Ordinal))
            {
                return string.Empty;
            }

            var text = string.Join("\r\n", lines.Take(lines.Count - 1)) + "\r\n";
            return text[..^")\r\n".Length];
        }

        Assert.Equal(Nested, await Section(""));
        Assert.Equal("first part", await Section("1"));
        Assert.Equal("Content-Type: text/plain; charset=utf-8\r\n\r\n", await Section("1.MIME"));
        Assert.Equal("From: Inner <inner@example.net>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n", await Section("2.HEADER"));
        Assert.Equal("Subject: inner\r\n\r\n", await Section("2.HEADER.FIELDS (SUBJECT)"));
        Assert.Equal("inner plain", await Section("2.1"));
        Assert.Equal("<p>inner html</p>", await Section("2.2"));
        Assert.Equal("Content-Type: text/html\r\n\r\n", await Section("2.2.MIME"));
        Assert.StartsWith("--b2\r\nContent-Type: text/plain", await Section("2.TEXT"), StringComparison.Ordinal);
        Assert.Equal("To: user1@example.jp\r\n\r\n", await Section("HEADER.FIELDS (To)"));
        Assert.DoesNotContain("Subject", await Section("HEADER.FIELDS.NOT (Subject From)"), StringComparison.Ordinal);
        Assert.Equal(string.Empty, await Section("9")); // no such part: empty, as Dovecot answers

        var partial = await wire.CommandAsync("p UID FETCH 1 (BODY.PEEK[1]<2.5> BODY.PEEK[]<100000.10>)");
        Assert.Equal("* 1 FETCH (UID 1 BODY[1]<2> {5}", partial[0]);
        Assert.Equal("rst p BODY[]<100000> {0}", partial[1]);
        var structure = await wire.CommandAsync("b FETCH 1 (BODYSTRUCTURE)");
        Assert.Equal(
            "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)" +
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 210 (NIL \"inner\" ((\"Inner\" NIL \"inner\" \"example.net\")) ((\"Inner\" NIL \"inner\" \"example.net\")) ((\"Inner\" NIL \"inner\" \"example.net\")) NIL NIL NIL NIL NIL) " +
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 17 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL) 13 NIL NIL NIL NIL) " +
            "\"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))",
            structure[0]);
    }

    [Fact]
    public async Task Broken_mime_still_gets_a_bodystructure_and_its_octets()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user4");
        const string broken = "Subject: broken\r\nContent-Type: multipart/mixed\r\nContent-Transfer-Encoding: base64\r\n\r\n--nowhere\r\n!!!not base64\r\n";
        await AppendAsync(wire, "INBOX", broken);
        await AppendAsync(wire, "INBOX", "no header line at all\r\njust text\r\n");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        var structure = await wire.CommandAsync("a FETCH 1:2 (BODYSTRUCTURE ENVELOPE RFC822.SIZE)");
        var whole = await wire.CommandAsync("b FETCH 1 BODY.PEEK[]");

        Assert.Equal("a OK Fetch completed.", structure[^1]);
        Assert.Equal(3, structure.Count);
        Assert.All(structure.Take(2), line => Assert.Contains("BODYSTRUCTURE (", line, StringComparison.Ordinal));
        Assert.Contains("!!!not base64", string.Join("\n", whole), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mailbox_names_with_path_tricks_are_refused_and_nothing_leaves_the_mailbox()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        var before = Directory.GetFileSystemEntries(Path.Combine(_server.DataDirectory, "virtual", "example.jp"));

        Assert.StartsWith("a NO", await wire.ResultAsync("a CREATE \"../../escape\""), StringComparison.Ordinal);
        Assert.StartsWith("b NO", await wire.ResultAsync("b CREATE \"a/b\""), StringComparison.Ordinal);
        Assert.StartsWith("c NO", await wire.ResultAsync("c CREATE \"foo..bar\""), StringComparison.Ordinal);
        Assert.StartsWith("d NO", await wire.ResultAsync("d SELECT \"../user1\""), StringComparison.Ordinal);
        Assert.StartsWith("e NO", await wire.ResultAsync("e CREATE \"&Jjo\""), StringComparison.Ordinal);
        Assert.StartsWith("f NO", await wire.ResultAsync("f RENAME Trash \"..\""), StringComparison.Ordinal);
        Assert.StartsWith("g NO [NONEXISTENT]", await wire.ResultAsync("g SELECT Nowhere"), StringComparison.Ordinal);
        Assert.StartsWith("h NO [ALREADYEXISTS]", await wire.ResultAsync("h CREATE inbox"), StringComparison.Ordinal);
        Assert.StartsWith("i NO", await wire.ResultAsync("i DELETE INBOX"), StringComparison.Ordinal);
        Assert.StartsWith("j NO [TRYCREATE]", await wire.ResultAsync("j APPEND Nowhere {1+}\r\nx"), StringComparison.Ordinal);

        Assert.Equal(before, Directory.GetFileSystemEntries(Path.Combine(_server.DataDirectory, "virtual", "example.jp")));
        Assert.DoesNotContain(Directory.GetDirectories(_server.MaildirRoot("user5")), d => Path.GetFileName(d).Contains("escape", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connections_per_user_and_address_are_limited_to_ten()
    {
        var sessions = new List<ImapWire>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                sessions.Add(await ImapWire.LoggedInAsync(_server.Imaps, "user2"));
            }

            await using var eleventh = await ImapWire.ConnectAsync(_server.Imaps, implicitTls: true);
            Assert.StartsWith("a NO [LIMIT]", await eleventh.ResultAsync($"a LOGIN user2@example.jp {MailServerInstance.Password}"), StringComparison.Ordinal);
            Assert.StartsWith("b OK", await eleventh.ResultAsync($"b LOGIN user3@example.jp {MailServerInstance.Password}"), StringComparison.Ordinal);
            await sessions[0].ResultAsync("z LOGOUT");
            await Task.Delay(300);
            await using var again = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Expunges_by_another_session_wait_until_fetch_is_over_the_message_is_served_until_then_and_then_they_are_reported()
    {
        await using var first = await ImapWire.LoggedInAsync(_server.Imaps, "user4");
        await AppendAsync(first, "INBOX", "Subject: a\r\n\r\na\r\n");
        await AppendAsync(first, "INBOX", "Subject: b\r\n\r\nb\r\n");
        await AppendAsync(first, "INBOX", "Subject: c\r\n\r\nc\r\n");
        await using var second = await ImapWire.LoggedInAsync(_server.Imaps, "user4");
        Assert.StartsWith("s OK", await first.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        Assert.StartsWith("s OK", await second.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        await second.CommandAsync("a STORE 2 +FLAGS.SILENT (\\Deleted)");
        Assert.StartsWith("b OK", await second.ResultAsync("b EXPUNGE"), StringComparison.Ordinal);
        var fetch = await first.CommandAsync("c FETCH 1:3 (FLAGS)");
        var body = await first.CommandAsync("c2 FETCH 2 (FLAGS BODY.PEEK[TEXT])");

        // RFC 3501 §7.4.1: no EXPUNGE during FETCH; the message keeps its number and is still served, from the file the
        // expunge held aside, as Dovecot serves it from its index (RFC 2180 §4.1.1), rather than NO [EXPUNGEISSUED].
        Assert.DoesNotContain(fetch.Concat(body), l => l.EndsWith(" EXPUNGE", StringComparison.Ordinal));
        Assert.Equal("c OK Fetch completed.", fetch[^1]);
        Assert.Equal(3, fetch.Count(l => l.Contains("FETCH (FLAGS", StringComparison.Ordinal)));
        Assert.Equal(["* 2 FETCH (FLAGS (\\Recent) BODY[TEXT] {3}", "b", ")", "c2 OK Fetch completed."], body);

        // A STORE to it cannot be kept, and is answered as Dovecot answers it: the flags asked for, and OK (not a NO).
        Assert.Equal(["* 2 FETCH (FLAGS (\\Flagged \\Recent))", "c1 OK Store completed."], await first.CommandAsync("c1 STORE 2 +FLAGS (\\Flagged)"));

        // Once the held file is gone too (pruned, or the message was expunged by another program), NO [EXPUNGEISSUED].
        foreach (var held in Directory.GetFiles(Path.Combine(_server.MaildirRoot("user4"), "msl-expunged")))
        {
            File.Delete(held);
        }

        var gone = await first.CommandAsync("c3 FETCH 1:3 (BODY.PEEK[TEXT])");
        Assert.StartsWith("c3 NO [EXPUNGEISSUED]", gone[^1], StringComparison.Ordinal);
        Assert.Equal(2, gone.Count(l => l.Contains(" FETCH (BODY[TEXT]", StringComparison.Ordinal)));
        var noop = await first.CommandAsync("d NOOP");
        Assert.Equal(["* 2 EXPUNGE", "d OK NOOP completed."], noop);
        await AppendAsync(second, "INBOX", "Subject: d\r\n\r\nd\r\n");
        var idle = await first.CommandAsync("e NOOP");
        Assert.Contains("* 3 EXISTS", idle);
    }

    [Fact]
    public async Task Idle_clients_are_logged_out_after_the_timeout()
    {
        await using var server = await MailServerInstance.StartAsync("--Mail:Imap:IdleTimeout=00:00:02", "--Mail:Imap:LoginTimeout=00:00:01");
        await using var anonymous = await ImapWire.ConnectAsync(server.Imaps, implicitTls: true);
        await using var idle = await ImapWire.LoggedInAsync(server.Imaps, "user1");
        await idle.SendAsync("i IDLE\r\n");
        Assert.Equal("+ idling", await idle.ReadLineAsync());

        Assert.Equal("* BYE Disconnected for inactivity.", await anonymous.ReadLineAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await anonymous.ReadLineAsync());
        Assert.Equal("* BYE Disconnected for inactivity.", await idle.ReadLineAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Idle_reports_new_mail_and_ends_with_done()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        await wire.SendAsync("i IDLE\r\n");
        Assert.Equal("+ idling", await wire.ReadLineAsync());

        await _server.DeliverAsync("user3", "during idle");
        var exists = await wire.ReadLineAsync(TimeSpan.FromSeconds(10));
        await wire.SendAsync("DONE\r\n");
        var rest = await wire.ReadUntilTaggedAsync("i");

        Assert.Equal("* 1 EXISTS", exists);
        Assert.Equal("i OK Idle completed.", rest[^1]);
    }

    [Fact]
    public async Task Append_keeps_flags_and_date_close_and_uid_expunge_remove_only_deleted_messages_and_inbox_can_be_renamed()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user5");
        await AppendAsync(wire, "INBOX", "Subject: dated\r\n\r\nx\r\n", "(\\Flagged $Work) \"17-Jul-1996 02:44:25 -0700\" ");
        await AppendAsync(wire, "INBOX", "Subject: two\r\n\r\nx\r\n");
        await AppendAsync(wire, "INBOX", "Subject: three\r\n\r\nx\r\n");
        Assert.StartsWith("s OK [READ-WRITE]", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        var dated = await wire.CommandAsync("a UID FETCH 1 (FLAGS INTERNALDATE)");
        // Appended before any SELECT: \Recent to this first session (RFC 3501 §2.3.2).
        Assert.Equal("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent $Work) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\")", dated[0]);
        await wire.CommandAsync("b STORE 1:3 +FLAGS.SILENT (\\Deleted)");
        var uidExpunge = await wire.CommandAsync("c UID EXPUNGE 2");
        Assert.Equal(["* 2 EXPUNGE", "c OK Expunge completed."], uidExpunge);
        var status = await wire.CommandAsync("d STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)");
        Assert.Matches(@"^\* STATUS INBOX \(MESSAGES 2 UIDNEXT 4 UIDVALIDITY \d+ UNSEEN 2 RECENT \d+\)$", status[0]);
        Assert.Equal(["e OK Close completed."], await wire.CommandAsync("e CLOSE"));
        Assert.StartsWith("f OK", await wire.ResultAsync("f EXAMINE INBOX"), StringComparison.Ordinal);
        Assert.Equal(["* SEARCH", "g OK Search completed."], await wire.CommandAsync("g SEARCH ALL"));

        await AppendAsync(wire, "INBOX", "Subject: kept\r\n\r\nx\r\n");
        Assert.StartsWith("h OK", await wire.ResultAsync("h RENAME INBOX Old-Inbox"), StringComparison.Ordinal);
        var old = await wire.CommandAsync("i STATUS Old-Inbox (MESSAGES)");
        var inbox = await wire.CommandAsync("j STATUS INBOX (MESSAGES)");
        Assert.Equal("* STATUS Old-Inbox (MESSAGES 1)", old[0]);
        Assert.Equal("* STATUS INBOX (MESSAGES 0)", inbox[0]);
    }

    [Fact]
    public async Task Over_quota_append_and_copy_are_refused_and_the_quota_is_reported_from_the_directory()
    {
        await using (var full = await ImapWire.LoggedInAsync(_server.Imaps, "full"))
        {
            var quota = await full.CommandAsync("q GETQUOTAROOT INBOX");
            Assert.Equal(["* QUOTAROOT INBOX \"User quota\"", "* QUOTA \"User quota\" (STORAGE 0 0)", "q OK Getquotaroot completed."], quota);
            await full.SendAsync("a APPEND INBOX {22+}\r\nSubject: big\r\n\r\nbody\r\n\r\n");
            Assert.StartsWith("a NO [OVERQUOTA]", (await full.ReadUntilTaggedAsync("a"))[^1], StringComparison.Ordinal);
            Assert.StartsWith("s OK", await full.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
            Assert.StartsWith("b NO [OVERQUOTA]", await full.ResultAsync("b COPY 1 Trash"), StringComparison.Ordinal);
            Assert.Equal("* STATUS Trash (MESSAGES 0)", (await full.CommandAsync("c STATUS Trash (MESSAGES)"))[0]);
            Assert.StartsWith("d NO [NOPERM]", await full.ResultAsync("d SETQUOTA \"User quota\" (STORAGE 1000)"), StringComparison.Ordinal);
        }

        await using var unlimited = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        Assert.Equal(["* QUOTAROOT INBOX", "e OK Getquotaroot completed."], await unlimited.CommandAsync("e GETQUOTAROOT INBOX"));
        Assert.StartsWith("f NO", await unlimited.ResultAsync("f GETQUOTA \"User quota\""), StringComparison.Ordinal);
    }
}
