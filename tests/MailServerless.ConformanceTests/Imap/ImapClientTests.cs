using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>Real IMAP clients against the server: imaplib, MailKit, mbsync, curl, openssl, fetchmail.</summary>
public sealed class ImapClientTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Marker() => "i" + Guid.NewGuid().ToString("N")[..12];

    private async Task<ImapClient> MailKitAsync(string user, SecureSocketOptions security = SecureSocketOptions.StartTls)
    {
        var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", security == SecureSocketOptions.SslOnConnect ? _server.Imaps : _server.Imap, security);
        await client.AuthenticateAsync($"{user}@example.jp", MailServerInstance.Password);
        return client;
    }

    [Fact]
    public async Task Python_imaplib_over_starttls_and_993_selects_searches_fetches_stores_copies_appends_and_expunges()
    {
        var marker = Marker();
        await _server.DeliverAsync("user1", marker + "-a", "first body\r\n");
        await _server.DeliverAsync("user1", marker + "-b", "second body with needle\r\n");
        var script = $$"""
            import imaplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            c = imaplib.IMAP4("127.0.0.1", {{_server.Imap}})
            assert "LOGINDISABLED" in c.capabilities and "STARTTLS" in c.capabilities, c.capabilities
            c.starttls(ssl_context=ctx)
            c.login("user1@example.jp", "{{MailServerInstance.Password}}")
            typ, data = c.select("INBOX"); assert typ == "OK" and data == [b"2"], data
            typ, data = c.search(None, "BODY", "needle"); assert data == [b"2"], data
            typ, data = c.uid("SEARCH", "SUBJECT", "{{marker}}-a"); assert data == [b"1"], data
            typ, data = c.fetch("1", "(FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            assert b"{{marker}}-a" in data[0][0] + data[0][1], data
            typ, data = c.fetch("2", "(RFC822)"); assert b"needle" in data[0][1], data
            typ, data = c.fetch("2", "(FLAGS)"); assert b"\\Seen" in data[0], data
            typ, data = c.store("1", "+FLAGS", "(\\Flagged $Important)"); assert b"\\Flagged" in data[0] and b"$Important" in data[0], data
            typ, data = c.copy("1:2", "Trash"); assert typ == "OK" and b"COPYUID" in data[0], data
            typ, data = c.append("Drafts", "(\\Draft)", None, b"From: me@example.jp\r\nSubject: draft {{marker}}\r\n\r\nunfinished\r\n")
            assert typ == "OK" and b"APPENDUID" in data[0], data
            c.store("2", "+FLAGS", "\\Deleted")
            typ, data = c.expunge(); assert data == [b"2"], data
            typ, data = c.status("Trash", "(MESSAGES UNSEEN)"); assert b"MESSAGES 2" in data[0], data
            c.logout()
            s = imaplib.IMAP4_SSL("127.0.0.1", {{_server.Imaps}}, ssl_context=ctx)
            s.login("user1@example.jp", "{{MailServerInstance.Password}}")
            typ, data = s.select("Drafts", readonly=True); assert data == [b"1"], data
            typ, data = s.fetch("1", "(FLAGS BODY[TEXT])"); assert b"\\Draft" in data[0][0] and data[0][1] == b"unfinished\r\n", data
            typ, data = s.select("INBOX"); assert data == [b"1"], data
            typ, data = s.fetch("1", "(FLAGS)"); assert b"\\Flagged" in data[0], data
            s.logout()
            print("ok")
            """;

        var result = await ProcessRunner.RunAsync("python3", ["-c", script]);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Single(_server.Inbox("user1"));
    }

    [Fact]
    public async Task MailKit_lists_special_use_folders_creates_unicode_folders_and_searches()
    {
        var marker = Marker();
        await _server.DeliverAsync("user2", marker, "The quick brown fox\r\n");
        using var client = await MailKitAsync("user2");

        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.SpecialUse));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Idle));
        Assert.Equal("Sent", client.GetFolder(SpecialFolder.Sent)!.FullName);
        Assert.Equal("Trash", client.GetFolder(SpecialFolder.Trash)!.FullName);
        Assert.Equal("Junk", client.GetFolder(SpecialFolder.Junk)!.FullName);
        Assert.Equal("Drafts", client.GetFolder(SpecialFolder.Drafts)!.FullName);

        var root = client.GetFolder(client.PersonalNamespaces[0]);
        var projects = (await root.CreateAsync("Projekte", true))!;
        var unicode = (await projects.CreateAsync("Über 日本", true))!;
        await unicode.SubscribeAsync();
        var all = await root.GetSubfoldersAsync();
        Assert.Contains(all, f => f.Name == "Projekte");
        var children = await projects.GetSubfoldersAsync();
        Assert.Equal("Projekte.Über 日本", Assert.Single(children).FullName);
        Assert.True(Directory.Exists(Path.Combine(_server.MaildirRoot("user2"), ".Projekte.&ANw-ber &ZeVnLA-")));

        await client.Inbox!.OpenAsync(FolderAccess.ReadWrite);
        var bySubject = await client.Inbox.SearchAsync(SearchQuery.SubjectContains(marker));
        var byBody = await client.Inbox.SearchAsync(SearchQuery.BodyContains("BROWN FOX").And(SearchQuery.NotSeen));
        var none = await client.Inbox.SearchAsync(SearchQuery.BodyContains("absent words"));
        var uid = Assert.Single(bySubject);
        await client.Inbox.MoveToAsync(uid, unicode);
        await unicode.OpenAsync(FolderAccess.ReadOnly);
        var moved = await unicode.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.UniqueId);
        await client.DisconnectAsync(true);

        Assert.Equal(uid, Assert.Single(byBody));
        Assert.Empty(none);
        Assert.Equal(marker, Assert.Single(moved).Envelope!.Subject);
    }

    [Fact]
    public async Task MailKit_fetches_the_structure_and_every_part_of_a_nested_multipart_message()
    {
        var inner = new MimeMessage();
        inner.From.Add(new MailboxAddress("Inner Sender", "inner@example.net"));
        inner.Subject = "Forwarded — inner";
        inner.Body = new TextPart("plain") { Text = "The inner text.\r\n" };
        var attachment = new MimePart("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray())),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = "data.bin" },
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        var alternative = new MultipartAlternative
        {
            new TextPart("plain") { Text = "Grüße in plain text.\r\n" },
            new TextPart("html") { Text = "<p>Grüße in <b>HTML</b>.</p>\r\n" },
        };
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Jörg Sender", "joerg@example.net"));
        message.To.Add(new MailboxAddress("User Three", "user3@example.jp"));
        message.Subject = "Structure test ✓";
        message.Body = new Multipart("mixed") { alternative, attachment, new MessagePart { Message = inner } };

        using var client = await MailKitAsync("user3", SecureSocketOptions.SslOnConnect);
        await client.Inbox!.OpenAsync(FolderAccess.ReadWrite);
        var uid = (await client.Inbox.AppendAsync(message, MessageFlags.Seen))!.Value;
        var summary = Assert.Single(await client.Inbox.FetchAsync([uid],
            MessageSummaryItems.BodyStructure | MessageSummaryItems.Envelope | MessageSummaryItems.Size | MessageSummaryItems.Flags));
        var parts = summary.BodyParts.ToList();
        var texts = new List<string>();
        foreach (var part in summary.BodyParts.OfType<BodyPartText>())
        {
            var entity = (TextPart)await client.Inbox.GetBodyPartAsync(uid, part);
            texts.Add(entity.Text);
        }

        var binaryPart = summary.BodyParts.OfType<BodyPartBasic>().Single(p => p.ContentType.MimeType == "application/octet-stream");
        var binary = (MimePart)await client.Inbox.GetBodyPartAsync(uid, binaryPart);
        using var decoded = new MemoryStream();
        await binary.Content!.DecodeToAsync(decoded);
        var nested = summary.BodyParts.OfType<BodyPartMessage>().Single();
        var nestedEntity = (MessagePart)await client.Inbox.GetBodyPartAsync(uid, nested);
        texts.Add(nestedEntity.Message!.TextBody ?? string.Empty);
        var whole = await client.Inbox.GetMessageAsync(uid);
        await client.DisconnectAsync(true);

        Assert.Equal("Structure test ✓", summary.Envelope!.Subject);
        Assert.Equal("Jörg Sender", summary.Envelope!.From.Mailboxes.Single().Name);
        Assert.Equal(4, parts.Count);
        // MimeKit's decoder gives the text with LF line ends, whoever serves it.
        Assert.Equal(["Grüße in plain text.", "<p>Grüße in <b>HTML</b>.</p>", "The inner text."], texts.Select(t => t.TrimEnd()));
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray(), decoded.ToArray());
        Assert.Equal("data.bin", binaryPart.FileName);
        Assert.Equal("Forwarded — inner", nested.Envelope!.Subject);
        Assert.Equal("Forwarded — inner", nestedEntity.Message!.Subject);
        Assert.Equal("Structure test ✓", whole.Subject);
        Assert.Equal((uint)Encoding(whole).Length, summary.Size!.Value);
    }

    private static byte[] Encoding(MimeMessage message)
    {
        using var stream = new MemoryStream();
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos; // RFC822.SIZE counts CRLF line ends
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    [Fact]
    public async Task MailKit_idle_is_woken_by_a_delivery_and_two_sessions_see_each_others_changes()
    {
        await _server.DeliverAsync("user4", Marker());
        using var phone = await MailKitAsync("user4");
        using var desktop = await MailKitAsync("user4", SecureSocketOptions.SslOnConnect);
        await phone.Inbox!.OpenAsync(FolderAccess.ReadWrite);
        await desktop.Inbox!.OpenAsync(FolderAccess.ReadWrite);

        var arrived = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        phone.Inbox.CountChanged += (_, _) => arrived.TrySetResult(phone.Inbox.Count);
        using var done = new CancellationTokenSource();
        var idle = phone.IdleAsync(done.Token);
        var marker = Marker();
        await _server.DeliverAsync("user4", marker);
        var count = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await done.CancelAsync();
        await idle;

        var flagged = new TaskCompletionSource<MessageFlags>(TaskCreationOptions.RunContinuationsAsynchronously);
        var expunged = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        phone.Inbox.MessageFlagsChanged += (_, e) => flagged.TrySetResult(e.Flags);
        phone.Inbox.MessageExpunged += (_, e) => expunged.TrySetResult(e.Index);
        await desktop.NoOpAsync();
        await desktop.Inbox.AddFlagsAsync(0, MessageFlags.Flagged, true);
        await phone.NoOpAsync();
        await desktop.Inbox.AddFlagsAsync(0, MessageFlags.Deleted, true);
        await desktop.Inbox.ExpungeAsync();
        await phone.NoOpAsync();
        var remaining = await phone.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope);

        Assert.Equal(2, count);
        Assert.True((await flagged.Task.WaitAsync(TimeSpan.FromSeconds(5))).HasFlag(MessageFlags.Flagged));
        Assert.Equal(0, await expunged.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(marker, Assert.Single(remaining).Envelope!.Subject);
    }

    [Fact]
    public async Task Mbsync_syncs_both_ways_and_a_second_run_changes_nothing()
    {
        await _server.DeliverAsync("user5", Marker());
        await _server.DeliverAsync("user5", Marker());
        var folder = Path.Combine(Path.GetTempPath(), "msl-mbsync-" + Guid.NewGuid().ToString("N"));
        var local = Path.Combine(folder, "mail");
        Directory.CreateDirectory(local);
        var rc = Path.Combine(folder, "mbsyncrc");
        await File.WriteAllTextAsync(rc, $"""
            IMAPAccount test
            Host 127.0.0.1
            Port {_server.Imap}
            User user5@example.jp
            Pass {MailServerInstance.Password}
            SSLType STARTTLS
            CertificateFile {Path.Combine(_server.DataDirectory, "tls-cert.pem")}

            IMAPStore remote
            Account test

            MaildirStore local
            Path {local}/
            Inbox {local}/INBOX
            SubFolders Verbatim

            Channel test
            Far :remote:
            Near :local:
            Patterns *
            Create Both
            Expunge Both
            SyncState *
            """);
        try
        {
            await MbsyncAsync(rc, folder);
            var pulled = LocalFiles(Path.Combine(local, "INBOX"));
            Assert.Equal(2, pulled.Count);
            Assert.True(Directory.Exists(Path.Combine(local, "Sent")));

            // Near side: a new message, and one pulled message marked read.
            var marker = Marker();
            await File.WriteAllTextAsync(Path.Combine(local, "INBOX", "new", "1700000000.P1Q1.client"), $"From: me@example.jp\nSubject: {marker}\n\nwritten offline\n");
            var seen = pulled[0];
            File.Move(seen, seen.EndsWith(":2,", StringComparison.Ordinal) ? seen + "S" : seen + ":2,S");
            await MbsyncAsync(rc, folder);

            Assert.Contains(_server.Inbox("user5"), m => m.Contains(marker, StringComparison.Ordinal));
            var serverCur = Directory.GetFiles(Path.Combine(_server.MaildirRoot("user5"), "cur")).Select(Path.GetFileName).ToList();
            Assert.Equal(3, serverCur.Count);
            Assert.Single(serverCur, n => n!.EndsWith(":2,S", StringComparison.Ordinal));

            var serverBefore = Snapshot(_server.MaildirRoot("user5"));
            var localBefore = Snapshot(local);
            await MbsyncAsync(rc, folder);
            Assert.Equal(serverBefore, Snapshot(_server.MaildirRoot("user5")));
            Assert.Equal(localBefore, Snapshot(local));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task MbsyncAsync(string rc, string home)
    {
        var result = await ProcessRunner.RunAsync("mbsync", ["-c", rc, "-a"], environment: new Dictionary<string, string> { ["HOME"] = home });
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
    }

    private static List<string> LocalFiles(string folder) =>
        Directory.GetFiles(Path.Combine(folder, "new")).Concat(Directory.GetFiles(Path.Combine(folder, "cur"))).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every message file name under a Maildir tree (folders, new and cur), sorted.</summary>
    private static string Snapshot(string root) =>
        string.Join('\n', Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(p => Path.GetFileName(Path.GetDirectoryName(p)) is "new" or "cur")
            .Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal));

    [Fact]
    public async Task Curl_lists_folders_and_fetches_a_message_with_ssl_reqd()
    {
        var marker = Marker();
        await _server.DeliverAsync("user1", marker);
        string[] auth = ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--user", $"user1@example.jp:{MailServerInstance.Password}"];

        var list = await ProcessRunner.RunAsync("curl", [.. auth, $"imap://127.0.0.1:{_server.Imap}/"]);
        var fetched = await ProcessRunner.RunAsync("curl", [.. auth, $"imap://127.0.0.1:{_server.Imap}/INBOX;UID=1"]);
        var implicitTls = await ProcessRunner.RunAsync("curl", [.. auth, $"imaps://127.0.0.1:{_server.Imaps}/INBOX;UID=1;SECTION=HEADER.FIELDS%20(SUBJECT)"]);

        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Contains("\\Sent) \".\" Sent", list.Output, StringComparison.Ordinal);
        Assert.True(fetched.ExitCode == 0, fetched.Error);
        Assert.Contains(marker, fetched.Output, StringComparison.Ordinal);
        Assert.True(implicitTls.ExitCode == 0, implicitTls.Error);
        Assert.Equal($"Subject: {marker}", implicitTls.Output.Trim());
    }

    [Fact]
    public async Task Openssl_s_client_starttls_imap_logs_in_after_the_handshake()
    {
        var result = await ProcessRunner.RunAsync("openssl",
            ["s_client", "-starttls", "imap", "-connect", $"127.0.0.1:{_server.Imap}", "-quiet", "-ign_eof"],
            input: $"a CAPABILITY\r\nb LOGIN user2@example.jp {MailServerInstance.Password}\r\nc SELECT INBOX\r\nd LOGOUT\r\n");

        Assert.Contains("b OK [CAPABILITY", result.Output, StringComparison.Ordinal);
        Assert.Contains("AUTH=PLAIN", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("LOGINDISABLED", result.Output, StringComparison.Ordinal);
        Assert.Contains("c OK [READ-WRITE]", result.Output, StringComparison.Ordinal);
        Assert.Contains("d OK Logout completed.", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetchmail_retrieves_over_imap_with_starttls_and_deletes()
    {
        var marker = Marker();
        await _server.DeliverAsync("user3", marker);
        var folder = Path.Combine(Path.GetTempPath(), "msl-fetchmail-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var rc = Path.Combine(folder, "fetchmailrc");
        var mbox = Path.Combine(folder, "mbox");
        await File.WriteAllTextAsync(rc,
            $"poll 127.0.0.1 protocol IMAP port {_server.Imap} user \"user3@example.jp\" password \"{MailServerInstance.Password}\" " +
            $"sslproto 'TLS1.2+' no sslcertck mda \"cat >> {mbox}\"\n");
        File.SetUnixFileMode(rc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            var result = await ProcessRunner.RunAsync("fetchmail", ["-f", rc, "--nokeep", "--nosyslog", "-v"],
                environment: new Dictionary<string, string> { ["HOME"] = folder });

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            Assert.Contains("STARTTLS", result.Output + result.Error, StringComparison.Ordinal);
            Assert.Contains(marker, await File.ReadAllTextAsync(mbox), StringComparison.Ordinal);
            Assert.Empty(_server.Inbox("user3"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
