using System.Globalization;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>Mail sent by real SMTP clients lands in the Maildir, through every listener and mechanism.</summary>
public sealed class RealClientTests(SmtpServerFixture fixture) : IClassFixture<SmtpServerFixture>
{
    private MailServerInstance Server => fixture.Server;

    private static string Marker() => "m" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<ProcessRunner.Result> SwaksAsync(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("swaks", [.. arguments, "--timeout", "30"], timeout: TimeSpan.FromMinutes(1));
        return result;
    }

    [Fact]
    public async Task Swaks_to_a_local_mailbox_on_the_mx_port_with_starttls()
    {
        var marker = Marker();

        var result = await SwaksAsync("--server", $"127.0.0.1:{Server.Smtp}", "--from", "a@remote.example", "--to", "user1@example.jp",
            "--tls", "--header", $"Subject: {marker}");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("250 2.0.0 Ok: queued as", result.Output, StringComparison.Ordinal);
        var message = await Server.WaitForMessageAsync("user1", marker);
        Assert.Contains("(using TLSv1.", message, StringComparison.Ordinal);
        Assert.StartsWith("Return-Path: <a@remote.example>", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swaks_to_a_local_mailbox_on_the_mx_port_without_tls()
    {
        var marker = Marker();

        var result = await SwaksAsync("--server", $"127.0.0.1:{Server.Smtp}", "--from", "a@remote.example", "--to", "info@example.jp",
            "--header", $"Subject: {marker}");

        Assert.True(result.ExitCode == 0, result.Output);
        await Server.WaitForMessageAsync("user1", marker);
        await Server.WaitForMessageAsync("user2", marker);
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    public async Task Swaks_submits_with_starttls_and_auth_on_587(string mechanism)
    {
        var marker = Marker();

        var result = await SwaksAsync("--server", $"127.0.0.1:{Server.Submission}", "--from", "user1@example.jp", "--to", "user2@example.jp",
            "--tls", "--auth", mechanism, "--auth-user", "user1@example.jp", "--auth-password", MailServerInstance.Password,
            "--header", $"Subject: {marker}");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("235 2.7.0 Authentication successful", result.Output, StringComparison.Ordinal);
        Assert.Contains("with ESMTPSA", await Server.WaitForMessageAsync("user2", marker), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swaks_pipelines_on_465_with_implicit_tls()
    {
        var marker = Marker();

        var result = await SwaksAsync("--server", $"127.0.0.1:{Server.Submissions}", "--tlsc", "--pipeline",
            "--from", "user3@example.jp", "--to", "user1@example.jp", "--auth", "PLAIN", "--auth-user", "user3@example.jp",
            "--auth-password", MailServerInstance.Password, "--header", $"Subject: {marker}");

        Assert.True(result.ExitCode == 0, result.Output);
        await Server.WaitForMessageAsync("user1", marker);
    }

    [Fact]
    public async Task Python_smtplib_with_starttls_login_and_with_smtp_ssl()
    {
        var marker = Marker();
        var script = $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            msg = "From: user1@example.jp\r\nTo: user2@example.jp\r\nSubject: {{marker}}-587\r\n\r\nhello\r\n"
            with smtplib.SMTP("127.0.0.1", {{Server.Submission}}) as s:
                s.starttls(context=ctx); s.login("user1@example.jp", "{{MailServerInstance.Password}}")
                s.sendmail("user1@example.jp", ["user2@example.jp"], msg)
            with smtplib.SMTP_SSL("127.0.0.1", {{Server.Submissions}}, context=ctx) as s:
                s.login("user1@example.jp", "{{MailServerInstance.Password}}")
                s.sendmail("user1@example.jp", ["user2@example.jp"], msg.replace("-587", "-465"))
            print("sent")
            """;

        var result = await ProcessRunner.RunAsync("python3", ["-c", script]);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        await Server.WaitForMessageAsync("user2", marker + "-587");
        await Server.WaitForMessageAsync("user2", marker + "-465");
    }

    [Fact]
    public async Task MailKit_submits_over_starttls_and_over_implicit_tls()
    {
        var marker = Marker();
        foreach (var (port, options) in new[] { (Server.Submission, SecureSocketOptions.StartTls), (Server.Submissions, SecureSocketOptions.SslOnConnect) })
        {
            using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
            await client.ConnectAsync("127.0.0.1", port, options);
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.EightBitMime));
            await client.AuthenticateAsync("user2@example.jp", MailServerInstance.Password);
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("user2@example.jp"));
            message.To.Add(MailboxAddress.Parse("user3@example.jp"));
            message.Subject = $"{marker}-{port.ToString(CultureInfo.InvariantCulture)} 日本語の件名";
            message.Body = new TextPart("plain") { Text = "本文です。" };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
            var stored = await Server.WaitForMessageAsync("user3", $"{marker}-{port.ToString(CultureInfo.InvariantCulture)}");
            var parsed = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stored)));
            Assert.EndsWith("日本語の件名", parsed.Subject, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Curl_submits_with_ssl_reqd()
    {
        var marker = Marker();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, $"From: user1@example.jp\r\nTo: user3@example.jp\r\nSubject: {marker}\r\n\r\nvia curl\r\n");
        try
        {
            var result = await ProcessRunner.RunAsync("curl", [
                "--silent", "--show-error", "--url", $"smtp://127.0.0.1:{Server.Submission}", "--ssl-reqd", "--insecure",
                "--user", $"user1@example.jp:{MailServerInstance.Password}", "--mail-from", "user1@example.jp",
                "--mail-rcpt", "user3@example.jp", "--upload-file", file]);

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            await Server.WaitForMessageAsync("user3", marker);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Openssl_s_client_starttls_gets_auth_after_the_handshake_and_tls_1_1_is_refused()
    {
        var result = await ProcessRunner.RunAsync("openssl", ["s_client", "-starttls", "smtp", "-connect", $"127.0.0.1:{Server.Submission}", "-quiet", "-ign_eof"],
            input: "EHLO client.example\r\nQUIT\r\n");

        Assert.Contains("250-AUTH PLAIN LOGIN", result.Output, StringComparison.Ordinal);
        Assert.Contains("221 2.0.0 Bye", result.Output, StringComparison.Ordinal);

        var tls11 = await ProcessRunner.RunAsync("openssl", ["s_client", "-starttls", "smtp", "-connect", $"127.0.0.1:{Server.Submission}", "-tls1_1"],
            input: "QUIT\r\n");
        // TLS 1.1 is refused: no cipher is agreed (OpenSSL reports "alert protocol version").
        Assert.Contains("Cipher is (NONE)", tls11.Output, StringComparison.Ordinal);
    }
}
