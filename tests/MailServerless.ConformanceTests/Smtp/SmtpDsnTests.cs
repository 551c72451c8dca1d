using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using MailServerless.ConformanceTests.Imap;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>
/// DSN (RFC 3461): the parameters checked on the wire, sent by MailKit, and the notices they ask for: success into the
/// mailbox, failure with ENVID, ORCPT and RET honoured, none for NOTIFY=NEVER.
/// </summary>
public sealed class SmtpDsnTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Dsn_is_offered_and_its_parameters_are_checked()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.SendAsync("EHLO client.example\r\n");
        Assert.Contains("250-DSN", await wire.ReadReplyAsync());

        Assert.Equal("501 5.5.4 Bad RET parameter syntax", await wire.CommandAsync("MAIL FROM:<a@remote.example> RET=ALL"));
        Assert.Equal("501 5.5.4 Bad ENVID parameter syntax", await wire.CommandAsync("MAIL FROM:<a@remote.example> ENVID=a+zz"));
        Assert.Equal("501 5.5.4 Bad ENVID parameter syntax", await wire.CommandAsync($"MAIL FROM:<a@remote.example> ENVID={new string('x', 101)}"));
        Assert.Equal("250 2.1.0 Ok", await wire.CommandAsync("MAIL FROM:<a@remote.example> RET=HDRS ENVID=id+2B1"));
        Assert.Equal("501 5.5.4 Bad NOTIFY parameter syntax", await wire.CommandAsync("RCPT TO:<user1@example.jp> NOTIFY=NEVER,SUCCESS"));
        Assert.Equal("501 5.5.4 Bad NOTIFY parameter syntax", await wire.CommandAsync("RCPT TO:<user1@example.jp> NOTIFY=SOMETIMES"));
        Assert.Equal("501 5.5.4 Bad ORCPT parameter syntax", await wire.CommandAsync("RCPT TO:<user1@example.jp> ORCPT=user1@example.jp"));
        Assert.Equal("555 5.5.4 Unsupported option: XFOO", await wire.CommandAsync("RCPT TO:<user1@example.jp> XFOO=1"));
        Assert.StartsWith("250", await wire.CommandAsync("RCPT TO:<user1@example.jp> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;User1+40example.jp"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requiretls_is_offered_and_taken_only_inside_tls()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.SendAsync("EHLO client.example\r\n");
        Assert.DoesNotContain(await wire.ReadReplyAsync(), l => l.EndsWith("REQUIRETLS", StringComparison.Ordinal));
        Assert.Equal("555 5.5.4 Unsupported option: REQUIRETLS", await wire.CommandAsync("MAIL FROM:<a@remote.example> REQUIRETLS"));

        Assert.StartsWith("220", await wire.CommandAsync("STARTTLS"), StringComparison.Ordinal);
        await wire.StartTlsAsync();
        await wire.SendAsync("EHLO client.example\r\n");
        Assert.Contains("250 REQUIRETLS", await wire.ReadReplyAsync());
        Assert.Equal("555 5.5.4 Unsupported option: REQUIRETLS", await wire.CommandAsync("MAIL FROM:<a@remote.example> REQUIRETLS=YES"));
        Assert.Equal("250 2.1.0 Ok", await wire.CommandAsync("MAIL FROM:<a@remote.example> REQUIRETLS"));
    }

    [Fact]
    public async Task Notify_success_from_mailkit_brings_a_delivered_notice_with_the_envelope_id_and_original_recipient()
    {
        await SendAsync("user2", "user3@example.jp", "dsn-success", DeliveryStatusNotification.Success, "env-success-1", DeliveryStatusNotificationType.HeadersOnly);

        var notice = await NoticeAsync("user2", "env-success-1");
        Assert.Equal("Successful Mail Delivery Report", notice.Subject);
        var groups = Assert.Single(notice.BodyParts.OfType<MessageDeliveryStatus>()).StatusGroups;
        Assert.Equal("env-success-1", groups[0]["Original-Envelope-Id"]);
        Assert.Equal("delivered", groups[1]["Action"]);
        Assert.Equal("rfc822; user3@example.jp", groups[1]["Final-Recipient"]);
        Assert.Equal("rfc822; user3@example.jp", groups[1]["Original-Recipient"]);
        // RET=HDRS: the header section comes back, not the message.
        Assert.Contains(notice.BodyParts, p => p.ContentType.IsMimeType("text", "rfc822-headers"));
        await _server.WaitForMessageAsync("user3", "dsn-success");
    }

    [Fact]
    public async Task Python_smtplib_asks_for_dsn_and_gets_a_delivered_notice()
    {
        // A third client: smtplib passes ESMTP parameters as given (swaks, the other, has no option for them).
        var script = $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            msg = "From: user5@example.jp\r\nTo: user3@example.jp\r\nSubject: dsn-smtplib\r\n\r\nhello\r\n"
            with smtplib.SMTP("127.0.0.1", {{_server.Submission}}) as s:
                s.starttls(context=ctx); s.login("user5@example.jp", "{{MailServerInstance.Password}}")
                assert s.has_extn("dsn")
                s.sendmail("user5@example.jp", ["user3@example.jp"], msg, mail_options=["RET=FULL", "ENVID=py+2Benv-1"],
                           rcpt_options=["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;User3@example.jp"])
            print("sent")
            """;
        var result = await ProcessRunner.RunAsync("python3", ["-c", script]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);

        var notice = await NoticeAsync("user5", "py+env-1");
        Assert.Equal("Successful Mail Delivery Report", notice.Subject);
        var groups = Assert.Single(notice.BodyParts.OfType<MessageDeliveryStatus>()).StatusGroups;
        Assert.Equal("py+env-1", groups[0]["Original-Envelope-Id"]);
        Assert.Equal("delivered", groups[1]["Action"]);
        Assert.Equal("rfc822; User3@example.jp", groups[1]["Original-Recipient"]);
        // RET=FULL: the whole message comes back with a success notice too (RFC 3461 §4.3 leaves it to us; Postfix sends it).
        Assert.Contains(notice.BodyParts, p => p is MessagePart or TextRfc822Headers);
    }

    [Fact]
    public async Task A_failure_bounces_with_the_whole_message_for_ret_full_and_notify_never_gets_no_bounce()
    {
        // full@example.jp has room for no more than 100 bytes: emptied, it is taken at RCPT, and delivery fails for
        // good (5.2.2) once the message is seen to be larger.
        var full = Path.Combine(_server.DataDirectory, "virtual", "example.jp", "full");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(full, "cur")).Append(Path.Combine(full, "maildirsize")).Where(File.Exists))
        {
            File.Delete(file);
        }

        await SendAsync("user4", "full@example.jp", "dsn-never", DeliveryStatusNotification.Never, "env-never-1", DeliveryStatusNotificationType.Full);
        await SendAsync("user4", "full@example.jp", "dsn-failure", DeliveryStatusNotification.Failure, "env-failure-1", DeliveryStatusNotificationType.Full);

        var bounce = await NoticeAsync("user4", "env-failure-1");
        Assert.Equal("Undelivered Mail Returned to Sender", bounce.Subject);
        var groups = Assert.Single(bounce.BodyParts.OfType<MessageDeliveryStatus>()).StatusGroups;
        Assert.Equal("failed", groups[1]["Action"]);
        Assert.Equal("5.2.2", groups[1]["Status"]);
        var returned = Assert.Single(bounce.BodyParts.OfType<MessagePart>());
        Assert.Contains("dsn-failure", returned.Message?.Subject, StringComparison.Ordinal);
        Assert.Contains("the body of dsn-failure", returned.Message?.TextBody, StringComparison.Ordinal);

        // The NEVER message did fail (the log says so), and no bounce came of it.
        Assert.True(await _server.WaitForOutputAsync("NOTIFY asks for no bounce") > 0, _server.Output);
        await _server.WaitUntilDeliveredAsync(TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(_server.Inbox("user4"), m => m.Contains("env-never-1", StringComparison.Ordinal));
    }

    /// <summary>Submits as <paramref name="localPart"/> with MailKit, asking for DSN.</summary>
    private async Task SendAsync(
        string localPart, string to, string subject, DeliveryStatusNotification notify, string envelopeId, DeliveryStatusNotificationType ret)
    {
        var log = new MemoryStream();
        using var client = new DsnClient(notify, envelopeId, new ProtocolLogger(log, leaveOpen: true))
        {
            ServerCertificateValidationCallback = (_, _, _, _) => true,
            DeliveryStatusNotificationType = ret,
        };
        await client.ConnectAsync("127.0.0.1", _server.Submissions, SecureSocketOptions.SslOnConnect);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Dsn));
        await client.AuthenticateAsync($"{localPart}@example.jp", MailServerInstance.Password);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse($"{localPart}@example.jp"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = $"the body of {subject}" };
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
        var conversation = Encoding.UTF8.GetString(log.ToArray());
        Assert.Contains($"ENVID={envelopeId}", conversation, StringComparison.Ordinal);
        Assert.Contains(" NOTIFY=", conversation, StringComparison.Ordinal);
    }

    /// <summary>The notice in the sender's mailbox that names <paramref name="envelopeId"/>.</summary>
    private async Task<MimeMessage> NoticeAsync(string localPart, string envelopeId)
    {
        var text = await _server.WaitForMessageAsync(localPart, envelopeId);
        return MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>MailKit's client with the DSN requests a caller gives it (MailKit asks for them per message and recipient).</summary>
    private sealed class DsnClient(DeliveryStatusNotification notify, string envelopeId, IProtocolLogger logger) : SmtpClient(logger)
    {
        protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox) => notify;

        protected override string GetEnvelopeId(MimeMessage message) => envelopeId;
    }
}

/// <summary>
/// NOTIFY=SUCCESS,DELAY through a delivery that has to wait: the mailboxes' disk is full, so the sender hears of the
/// delay, and once there is room, of the delivery.
/// </summary>
public sealed class SmtpDsnDelayTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() =>
        _server = await MailServerInstance.StartWithSmallFileSystemAsync("virtual", 1024 * 1024, "--Mail:Delivery:DelayWarningAfter=00:00:00");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_delayed_message_brings_a_delay_notice_and_then_a_delivered_notice()
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("user2@example.jp"));
        message.To.Add(MailboxAddress.Parse("user3@example.jp"));
        message.Subject = "dsn-delayed";
        message.Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat("too big for the disk for now\n", 60_000)) };
        using (var client = new DelayClient { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await client.ConnectAsync("127.0.0.1", _server.Submissions, SecureSocketOptions.SslOnConnect);
            await client.AuthenticateAsync("user2@example.jp", MailServerInstance.Password);
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }

        using var imap = await MailKitImap.LoggedInAsync(_server, "user2");
        var delayed = await WaitForSubjectAsync(imap, "Delayed Mail (still being retried)");
        var status = Assert.Single(delayed.BodyParts.OfType<MessageDeliveryStatus>()).StatusGroups;
        Assert.Equal("env-delay-1", status[0]["Original-Envelope-Id"]);
        Assert.Equal("delayed", status[1]["Action"]);

        await _server.ResizeTmpfsAsync(16 * 1024 * 1024);
        var delivered = await WaitForSubjectAsync(imap, "Successful Mail Delivery Report");
        Assert.Equal("delivered", Assert.Single(delivered.BodyParts.OfType<MessageDeliveryStatus>()).StatusGroups[1]["Action"]);
        // Told once: the retries after the first do not repeat the delay notice.
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Single(await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("Delayed Mail")));
    }

    private static async Task<MimeMessage> WaitForSubjectAsync(ImapClient imap, string subject)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
            }
            catch (ImapCommandException e) when (e.Response == ImapCommandResponse.No)
            {
                // The disk is full on purpose: while a retry of the big message fills it, the folder cannot record the
                // UID of a new notice and EXAMINE says NO (as Dovecot's does when it cannot write dovecot-uidlist).
                await Task.Delay(200);
                continue;
            }

            if ((await imap.Inbox.SearchAsync(SearchQuery.SubjectContains(subject))) is [var uid, ..])
            {
                return await imap.Inbox.GetMessageAsync(uid);
            }

            await imap.Inbox.CloseAsync();
            await Task.Delay(200);
        }

        throw new TimeoutException($"no '{subject}' reached user2");
    }

    private sealed class DelayClient : SmtpClient
    {
        protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox) =>
            DeliveryStatusNotification.Success | DeliveryStatusNotification.Delay;

        protected override string GetEnvelopeId(MimeMessage message) => "env-delay-1";
    }
}
