using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Authentication;

/// <summary>
/// rspamd (the real one, started by the test command with fixed test rules) asked at the end of DATA: its reject
/// refused in the session, its soft reject deferred, spam filed into Junk and read back over IMAP.
/// </summary>
public sealed class SpamFilterTests : IAsyncLifetime
{
    private const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    private MailServerInstance _server = null!;

    private static string Rspamd => Environment.GetEnvironmentVariable("MAILSERVERLESS_TEST_RSPAMD")
                                    ?? throw new InvalidOperationException("MAILSERVERLESS_TEST_RSPAMD is not set: run the tests with tests/run.sh");

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync($"--Mail:Spam:RspamdUrl={Rspamd}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Gtube_is_refused_in_the_smtp_session()
    {
        var reply = await SendAsync(Message("gtube", Gtube));
        Assert.StartsWith("554 5.7.1", reply, StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.DoesNotContain(_server.Inbox("user1"), m => m.Contains("gtube", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Soft_reject_is_a_temporary_refusal()
    {
        var reply = await SendAsync(Message("RSPAMD-TEST-SOFT-REJECT now", "Hello."));
        Assert.StartsWith("451 4.7.1", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spam_scored_mail_is_filed_into_junk_and_read_back_over_imap()
    {
        var reply = await SendAsync(Message("RSPAMD-TEST-ADD-HEADER offer", "Cheap watches."));
        Assert.StartsWith("250", reply, StringComparison.Ordinal);

        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Imaps, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync("user1@example.jp", MailServerInstance.Password);
        var junk = client.GetFolder(SpecialFolder.Junk) ?? await client.GetFolderAsync("Junk");
        MimeMessage? found = null;
        for (var i = 0; i < 100 && found is null; i++)
        {
            await junk.OpenAsync(FolderAccess.ReadOnly);
            if (junk.Count > 0)
            {
                found = await junk.GetMessageAsync(junk.Count - 1);
            }
            else
            {
                await junk.CloseAsync();
                await Task.Delay(200);
            }
        }

        Assert.NotNull(found);
        Assert.Equal("RSPAMD-TEST-ADD-HEADER offer", found.Subject);
        Assert.Equal("Yes", found.Headers["X-Spam"]);
        Assert.Contains("TEST_ADD_HEADER", found.Headers["X-Spamd-Result"], StringComparison.Ordinal);
        await client.Inbox!.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(0, client.Inbox.Count);
    }

    [Fact]
    public async Task Clean_mail_reaches_the_inbox_with_our_score_and_a_forged_one_removed()
    {
        var message = Message("clean note", "Lunch at noon?");
        message.Headers.Add("X-Rspamd-Score", "-99.00");
        var reply = await SendAsync(message);
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var delivered = await _server.WaitForMessageAsync("user1", "clean note");
        Assert.Contains("X-Rspamd-Score:", delivered, StringComparison.Ordinal);
        Assert.Contains("X-Spamd-Result: default: False", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Spam: Yes", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain("-99.00", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gtube_from_an_authenticated_user_is_refused_too()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Submission);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        Assert.StartsWith("220", await wire.CommandAsync("STARTTLS"), StringComparison.Ordinal);
        await wire.StartTlsAsync();
        await wire.CommandAsync("EHLO client.example");
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0user2@example.jp\0{MailServerInstance.Password}"));
        Assert.StartsWith("235", await wire.CommandAsync($"AUTH PLAIN {token}"), StringComparison.Ordinal);
        await wire.CommandAsync("MAIL FROM:<user2@example.jp>");
        await wire.CommandAsync("RCPT TO:<user1@example.jp>");
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        var reply = await wire.CommandAsync($"From: user2@example.jp\r\nTo: user1@example.jp\r\nSubject: outbound gtube\r\n\r\n{Gtube}\r\n.");
        Assert.StartsWith("554 5.7.1", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rspamd_unreachable_with_tempfail_defers_and_with_accept_takes_the_mail()
    {
        var closed = EdgeServerProcess.FreePort();
        await using var strict = await MailServerInstance.StartAsync($"--Mail:Spam:RspamdUrl=http://127.0.0.1:{closed}", "--Mail:Spam:FailureAction=TempFail");
        Assert.StartsWith("451 4.7.1", await SendAsync(Message("filter down", "Hello."), strict), StringComparison.Ordinal);
        await using var lenient = await MailServerInstance.StartAsync($"--Mail:Spam:RspamdUrl=http://127.0.0.1:{closed}");
        Assert.StartsWith("250", await SendAsync(Message("filter down", "Hello."), lenient), StringComparison.Ordinal);
        await lenient.WaitForMessageAsync("user1", "filter down");
    }

    private static MimeMessage Message(string subject, string text)
    {
        var message = AuthenticationZone.Message("someone@remote.example", "user1@example.jp", subject);
        message.Body = new TextPart("plain") { Text = text + "\r\n" };
        return message;
    }

    private Task<string> SendAsync(MimeMessage message) => SendAsync(message, _server);

    private static async Task<string> SendAsync(MimeMessage message, MailServerInstance server)
    {
        await using var wire = await SmtpWire.ConnectAsync(server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        await wire.CommandAsync("MAIL FROM:<someone@remote.example>");
        Assert.StartsWith("250", await wire.CommandAsync("RCPT TO:<user1@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        var crlf = FormatOptions.Default.Clone();
        crlf.NewLineFormat = NewLineFormat.Dos;
        using var text = new MemoryStream();
        await message.WriteToAsync(crlf, text);
        var body = Encoding.UTF8.GetString(text.ToArray()).Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        return await wire.CommandAsync(body.TrimEnd('\r', '\n') + "\r\n.");
    }
}
