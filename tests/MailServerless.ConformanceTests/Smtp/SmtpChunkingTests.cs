using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>CHUNKING and BINARYMIME (RFC 3030): BDAT on the wire and from MailKit, which sends with BDAT when it is offered.</summary>
public sealed class SmtpChunkingTests : IAsyncLifetime
{
    private const int MaxMessageSize = 200_000;

    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync($"--Mail:Smtp:MaxMessageSize={MaxMessageSize}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Ehlo_offers_chunking_and_binarymime_on_every_port()
    {
        foreach (var (port, tls) in new[] { (_server.Smtp, false), (_server.Submission, false), (_server.Submissions, true) })
        {
            await using var wire = await SmtpWire.ConnectAsync(port, tls);
            await wire.ReadReplyAsync();
            await wire.SendAsync("EHLO client.example\r\n");
            var lines = await wire.ReadReplyAsync();
            Assert.Contains("250-CHUNKING", lines);
            Assert.Contains("250-BINARYMIME", lines);
        }
    }

    [Fact]
    public async Task Pipelined_chunks_make_one_message_with_crlf_split_across_them_and_bcc_dropped()
    {
        await using var wire = await OpenAsync("user1");
        var first = "Subject: chunked-one\r\nBcc: hidden@example.jp\r\n\r\nline one\r";
        var second = "\nline two\r\n";
        await wire.SendAsync($"BDAT {Encoding.ASCII.GetByteCount(first)}\r\n{first}BDAT {Encoding.ASCII.GetByteCount(second)} LAST\r\n{second}");
        Assert.Equal($"250 2.0.0 Ok: {Encoding.ASCII.GetByteCount(first)} bytes", (await wire.ReadReplyAsync())[^1]);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", (await wire.ReadReplyAsync())[^1], StringComparison.Ordinal);

        // The Maildir keeps LF line ends.
        var stored = (await _server.WaitForMessageAsync("user1", "chunked-one")).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.EndsWith("Subject: chunked-one\n\nline one\nline two\n", stored, StringComparison.Ordinal);
        Assert.Contains("Received: from client.example", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden@example.jp", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_chunk_is_still_read_so_commands_inside_it_are_never_run()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        const string smuggled = "MAIL FROM:<a@remote.example>\r\nRCPT TO:<user2@example.jp>\r\nQUIT\r\n";
        await wire.SendAsync($"BDAT {smuggled.Length} LAST\r\n{smuggled}NOOP\r\n");
        Assert.Equal("503 5.5.1 Error: need MAIL command", (await wire.ReadReplyAsync())[^1]);
        Assert.Equal("250 2.0.0 Ok", (await wire.ReadReplyAsync())[^1]);

        await wire.CommandAsync("MAIL FROM:<a@remote.example>");
        Assert.StartsWith("554 5.5.1", await wire.CommandAsync("BDAT 6 LAST\r\nQUIT"), StringComparison.Ordinal);
        Assert.Equal("250 2.0.0 Ok", await wire.CommandAsync("NOOP"));
    }

    // CommandAsync ends what it sends with CRLF: a chunk written through it counts those two octets as its own.
    [Fact]
    public async Task A_bare_line_feed_refuses_the_message_and_every_chunk_up_to_last_then_the_session_goes_on()
    {
        await using var wire = await OpenAsync("user2");
        Assert.Equal("550 5.6.0 Error: bare <CR> or <LF> received", await wire.CommandAsync("BDAT 13\r\nSubject: x\n"));
        Assert.Equal("550 5.6.0 Error: bare <CR> or <LF> received", await wire.CommandAsync("BDAT 4 LAST\r\nok"));
        // The transaction ended at LAST: RCPT needs a new MAIL, DATA works again.
        Assert.StartsWith("503", await wire.CommandAsync("RCPT TO:<user2@example.jp>"), StringComparison.Ordinal);
        await wire.CommandAsync("MAIL FROM:<sender@remote.example>");
        await wire.CommandAsync("RCPT TO:<user2@example.jp>");
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        Assert.StartsWith("250 2.0.0 Ok: queued", await wire.CommandAsync("Subject: after-bare-lf\r\n\r\nfine\r\n."), StringComparison.Ordinal);
        await _server.WaitForMessageAsync("user2", "after-bare-lf");
        Assert.DoesNotContain(_server.Inbox("user2"), m => m.Contains("Subject: x", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Binarymime_carries_any_octet_through_bdat_and_is_refused_through_data()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        await wire.CommandAsync("MAIL FROM:<sender@remote.example> BODY=BINARYMIME");
        await wire.CommandAsync("RCPT TO:<user3@example.jp>");
        Assert.Equal("503 5.5.1 Error: BODY=BINARYMIME requires BDAT", await wire.CommandAsync("DATA"));

        byte[] header = Encoding.ASCII.GetBytes("Subject: binary-body\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n");
        byte[] body = [0, 1, 2, (byte)'\n', (byte)'\r', 0xff, (byte)'.', (byte)'\r', (byte)'\n', (byte)'.', 0x80];
        await wire.SendAsync(Encoding.ASCII.GetBytes($"BDAT {header.Length + body.Length} LAST\r\n"));
        await wire.SendAsync([.. header, .. body]);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", (await wire.ReadReplyAsync())[^1], StringComparison.Ordinal);

        // Stored with the binary part in base64: a Maildir with LF line ends could not keep its CRs and LFs as sent.
        var stored = MimeMessage.Load(new MemoryStream(await StoredBytesAsync("user3", "binary-body")));
        var part = Assert.IsType<MimePart>(stored.Body);
        Assert.Equal(ContentEncoding.Base64, part.ContentTransferEncoding);
        using var decoded = new MemoryStream();
        await part.Content!.DecodeToAsync(decoded);
        Assert.Equal(body, decoded.ToArray());
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_at_the_chunk_that_passes_it()
    {
        await using var wire = await OpenAsync("user4");
        var chunk = "Subject: too-big\r\n\r\n" + new string('x', 150_000) + "\r\n";
        Assert.StartsWith("250 2.0.0 Ok", await wire.CommandAsync($"BDAT {chunk.Length}\r\n{chunk[..^2]}"), StringComparison.Ordinal);
        Assert.Equal("552 5.3.4 Error: message file too big", await wire.CommandAsync($"BDAT {chunk.Length}\r\n{chunk[..^2]}"));
        Assert.Equal("552 5.3.4 Error: message file too big", await wire.CommandAsync("BDAT 0 LAST"));
        Assert.Equal("250 2.0.0 Ok", await wire.CommandAsync("RSET"));
    }

    [Fact]
    public async Task Bdat_zero_last_ends_a_message_and_rcpt_after_the_first_chunk_is_out_of_sequence()
    {
        await using var wire = await OpenAsync("user5");
        const string content = "Subject: zero-last\r\n\r\nbody\r\n";
        await wire.CommandAsync($"BDAT {content.Length}\r\n{content[..^2]}");
        Assert.Equal("503 5.5.1 Error: RCPT after BDAT", await wire.CommandAsync("RCPT TO:<user1@example.jp>"));
        Assert.Equal("503 5.5.1 Error: DATA after BDAT", await wire.CommandAsync("DATA"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await wire.CommandAsync("BDAT 0 LAST"), StringComparison.Ordinal);
        await _server.WaitForMessageAsync("user5", "zero-last");
    }

    [Fact]
    public async Task A_bad_or_huge_chunk_size_ends_the_conversation_and_an_unfinished_or_reset_chunked_message_leaves_nothing_in_the_spool()
    {
        await using (var wire = await OpenAsync("user1"))
        {
            Assert.Equal("501 5.5.4 Syntax: BDAT count [LAST]", await wire.CommandAsync("BDAT many"));
            Assert.Empty(await wire.ReadReplyAsync()); // closed
        }

        await using (var wire = await OpenAsync("user1"))
        {
            // Larger than any message may be: not read at all (it could hold the connection for ever).
            Assert.Equal("552 5.3.4 Error: message file too big", await wire.CommandAsync($"BDAT {long.MaxValue}"));
            Assert.Empty(await wire.ReadReplyAsync());
        }

        await using (var wire = await OpenAsync("user1"))
        {
            await wire.CommandAsync("BDAT 21\r\nSubject: unfinished");
            await wire.SendAsync("BDAT 100 LAST\r\nonly part of it");
        }

        await using (var wire = await OpenAsync("user1"))
        {
            Assert.StartsWith("250 2.0.0 Ok", await wire.CommandAsync("BDAT 23\r\nSubject: reset midway"), StringComparison.Ordinal);
            Assert.Equal("250 2.0.0 Ok", await wire.CommandAsync("RSET"));
            Assert.StartsWith("250", await wire.CommandAsync("EHLO again.example"), StringComparison.Ordinal);
        }

        var bodies = Path.Combine(_server.DataDirectory, "spool");
        for (var i = 0; i < 100 && SpoolBodies(bodies).Any(); i++)
        {
            await Task.Delay(100);
        }

        Assert.Empty(SpoolBodies(bodies));
        Assert.DoesNotContain(_server.Inbox("user1"), m => m.Contains("unfinished", StringComparison.Ordinal) || m.Contains("reset midway", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MailKit_sends_with_bdat_and_a_binary_part_with_binarymime()
    {
        var log = new MemoryStream();
        using var client = new SmtpClient(new MailKit.ProtocolLogger(log, leaveOpen: true)) { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Submissions, SecureSocketOptions.SslOnConnect);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Chunking));
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.BinaryMime));
        await client.AuthenticateAsync("user2@example.jp", MailServerInstance.Password);

        byte[] octets = [.. Enumerable.Range(0, 256).Select(i => (byte)i), .. Enumerable.Range(0, 256).Select(i => (byte)(255 - i))];
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("user2@example.jp"));
        message.To.Add(MailboxAddress.Parse("user3@example.jp"));
        message.Subject = "mailkit-binary";
        message.Body = new Multipart("mixed")
        {
            new TextPart("plain") { Text = "see the attachment" },
            new MimePart("application", "octet-stream")
            {
                Content = new MimeContent(new MemoryStream(octets)),
                ContentTransferEncoding = ContentEncoding.Binary,
                FileName = "all-octets.bin",
            },
        };
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
        var conversation = Encoding.UTF8.GetString(log.ToArray());
        Assert.Contains("BODY=BINARYMIME", conversation, StringComparison.Ordinal);
        Assert.Contains("C: BDAT ", conversation, StringComparison.Ordinal);
        Assert.DoesNotContain("C: DATA", conversation, StringComparison.Ordinal);

        var stored = MimeMessage.Load(new MemoryStream(await StoredBytesAsync("user3", "mailkit-binary")));
        var attachment = Assert.Single(stored.Attachments.OfType<MimePart>());
        using var decoded = new MemoryStream();
        await attachment.Content!.DecodeToAsync(decoded);
        Assert.Equal(octets, decoded.ToArray());
    }

    private async Task<SmtpWire> OpenAsync(string localPart)
    {
        var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<sender@remote.example>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync($"RCPT TO:<{localPart}@example.jp>"), StringComparison.Ordinal);
        return wire;
    }

    /// <summary>The octets of the delivered message that holds <paramref name="marker"/>, read as bytes (it may not be text).</summary>
    private async Task<byte[]> StoredBytesAsync(string localPart, string marker)
    {
        var needle = Encoding.ASCII.GetBytes(marker);
        for (var i = 0; i < 200; i++)
        {
            var root = _server.MaildirRoot(localPart);
            foreach (var file in new[] { "new", "cur" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists).SelectMany(Directory.EnumerateFiles))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                if (bytes.AsSpan().IndexOf(needle) >= 0)
                {
                    return bytes;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no message with '{marker}' reached {localPart}");
    }

    private static IEnumerable<string> SpoolBodies(string spool) =>
        Directory.Exists(spool)
            ? Directory.EnumerateDirectories(spool, "bodies", SearchOption.AllDirectories).SelectMany(d => Directory.EnumerateFiles(d))
            : [];
}
