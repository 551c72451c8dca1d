using System.Text;
using MailKit.Net.Pop3;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Pop3;

/// <summary>Real POP3 clients retrieve and delete: poplib, fetchmail, getmail6, MailKit, curl, openssl. Each uses its own mailbox.</summary>
public sealed class Pop3ClientTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Marker() => "p" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Python_poplib_over_stls_and_995_lists_retrieves_and_deletes()
    {
        var marker = Marker();
        await _server.DeliverAsync("user1", marker + "-a", ".starts with a dot\r\nsecond line\r\n");
        await _server.DeliverAsync("user1", marker + "-b");
        var script = $$"""
            import poplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            p = poplib.POP3("127.0.0.1", {{_server.Pop3}})
            caps = p.capa(); assert "STLS" in caps and "USER" not in caps, caps
            p.stls(context=ctx)
            assert "USER" in p.capa()
            p.user("user1@example.jp"); p.pass_("{{MailServerInstance.Password}}")
            count, size = p.stat(); assert count == 2, count
            lines = p.retr(1)[1]
            assert b".starts with a dot" in lines, lines
            assert any(b"{{marker}}-a" in l for l in lines)
            p.dele(1); p.quit()
            p = poplib.POP3_SSL("127.0.0.1", {{_server.Pop3s}}, context=ctx)
            p.user("user1@example.jp"); p.pass_("{{MailServerInstance.Password}}")
            assert p.stat()[0] == 1
            top = p.top(1, 0)[1]; assert any(b"{{marker}}-b" in l for l in top), top
            p.quit()
            print("ok")
            """;

        var result = await ProcessRunner.RunAsync("python3", ["-c", script]);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Single(_server.Inbox("user1"));
    }

    [Fact]
    public async Task Fetchmail_retrieves_over_tls_and_deletes()
    {
        var marker = Marker();
        await _server.DeliverAsync("user2", marker);
        var folder = Path.Combine(Path.GetTempPath(), "msl-fetchmail-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var rc = Path.Combine(folder, "fetchmailrc");
        var mbox = Path.Combine(folder, "mbox");
        await File.WriteAllTextAsync(rc,
            $"poll 127.0.0.1 protocol POP3 port {_server.Pop3s} user \"user2@example.jp\" password \"{MailServerInstance.Password}\" " +
            $"ssl no sslcertck mda \"cat >> {mbox}\"\n");
        File.SetUnixFileMode(rc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            var result = await ProcessRunner.RunAsync("fetchmail", ["-f", rc, "--nokeep", "--nosyslog", "-v"],
                environment: new Dictionary<string, string> { ["HOME"] = folder });

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            Assert.Contains(marker, await File.ReadAllTextAsync(mbox), StringComparison.Ordinal);
            Assert.Empty(_server.Inbox("user2"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Getmail6_retrieves_over_tls_and_deletes()
    {
        var marker = Marker();
        await _server.DeliverAsync("user3", marker);
        var folder = Path.Combine(Path.GetTempPath(), "msl-getmail-" + Guid.NewGuid().ToString("N"));
        var maildir = Path.Combine(folder, "Maildir");
        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            Directory.CreateDirectory(Path.Combine(maildir, sub));
            // getmail refuses to deliver as root; it writes as "nobody".
            File.SetUnixFileMode(Path.Combine(maildir, sub), (UnixFileMode)0x1FF);
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "getmailrc"), $"""
            [retriever]
            type = SimplePOP3SSLRetriever
            server = 127.0.0.1
            port = {_server.Pop3s}
            username = user3@example.jp
            password = {MailServerInstance.Password}

            [destination]
            type = Maildir
            path = {maildir}/
            user = nobody

            [options]
            delete = true
            read_all = true
            """);
        try
        {
            var result = await ProcessRunner.RunAsync("getmail", ["--getmaildir", folder, "--rcfile", "getmailrc"]);

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            var fetched = Directory.GetFiles(Path.Combine(maildir, "new"));
            Assert.Contains(fetched, f => File.ReadAllText(f).Contains(marker, StringComparison.Ordinal));
            Assert.Empty(_server.Inbox("user3"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task MailKit_pop3_client_over_starttls_lists_uidls_retrieves_and_deletes()
    {
        var marker = Marker();
        await _server.DeliverAsync("user4", marker);
        using var client = new Pop3Client { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Pop3, SecureSocketOptions.StartTls);
        Assert.True(client.Capabilities.HasFlag(Pop3Capabilities.UIDL));
        await client.AuthenticateAsync("user4@example.jp", MailServerInstance.Password);

        var uids = await client.GetMessageUidsAsync();
        var count = client.Count;
        var message = await client.GetMessageAsync(count - 1);
        await client.DeleteMessageAsync(count - 1);
        await client.DisconnectAsync(true);

        Assert.Equal(count, uids.Count);
        Assert.All(uids, u => Assert.Matches("^[0-9a-f]{16}$", u));
        Assert.Equal(marker, message.Subject);
        Assert.DoesNotContain(_server.Inbox("user4"), m => m.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stored_crlf_file_is_retrieved_octet_for_octet_also_where_a_line_end_straddles_two_reads()
    {
        // A file with CRLF line ends (another program's), whose CRLF at 65,535 falls between two 64 KiB reads.
        var head = "From: a@remote.example\r\nSubject: straddle\r\n\r\n.a line with a leading dot\r\n";
        var filler = new string('x', 65_535 - Encoding.ASCII.GetByteCount(head));
        var content = Encoding.ASCII.GetBytes(head + filler + "\r\nnext line\r\nlone\rcarriage return\r\n");
        Assert.Equal((byte)'\r', content[65_535]);
        var inbox = _server.MaildirRoot("user3");
        Directory.CreateDirectory(Path.Combine(inbox, "new"));
        await File.WriteAllBytesAsync(Path.Combine(inbox, "new", "1700000001.M2P2.elsewhere"), content);

        using var client = new Pop3Client { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Pop3s, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync("user3@example.jp", MailServerInstance.Password);
        var index = Enumerable.Range(0, client.Count).Single(i => client.GetMessageHeaders(i)[MimeKit.HeaderId.Subject] == "straddle");
        await using var retrieved = await client.GetStreamAsync(index);
        using var copy = new MemoryStream();
        await retrieved.CopyToAsync(copy);
        await client.DisconnectAsync(true);

        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task Curl_lists_and_retrieves_with_ssl_reqd()
    {
        var marker = Marker();
        await _server.DeliverAsync("user5", marker);
        string[] auth = ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--user", $"user5@example.jp:{MailServerInstance.Password}"];

        var list = await ProcessRunner.RunAsync("curl", [.. auth, $"pop3://127.0.0.1:{_server.Pop3}/"]);
        var last = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ')[0];
        var retrieved = await ProcessRunner.RunAsync("curl", [.. auth, $"pop3://127.0.0.1:{_server.Pop3}/{last}"]);

        Assert.True(list.ExitCode == 0, list.Error);
        Assert.True(retrieved.ExitCode == 0, retrieved.Error);
        Assert.Contains(marker, retrieved.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Openssl_s_client_starttls_pop3_logs_in_after_the_handshake()
    {
        var result = await ProcessRunner.RunAsync("openssl", ["s_client", "-starttls", "pop3", "-connect", $"127.0.0.1:{_server.Pop3}", "-quiet", "-ign_eof"],
            input: $"CAPA\r\nUSER user2@example.jp\r\nPASS {MailServerInstance.Password}\r\nSTAT\r\nQUIT\r\n");

        Assert.Contains("+OK Logged in.", result.Output, StringComparison.Ordinal);
        Assert.Contains("USER\r\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("+OK Logging out.", result.Output, StringComparison.Ordinal);
    }
}
