using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>Connections per client address, the idle timeout, and backup-MX relaying.</summary>
public sealed class SmtpLimitsTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() =>
        _server = await MailServerInstance.StartAsync(
            "--Mail:Smtp:MaxConnectionsPerClient=2", "--Mail:Smtp:IdleTimeout=00:00:02", "--Mail:Pop3:MaxConnectionsPerClient=1");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Connections_beyond_the_per_client_limit_get_421()
    {
        await using var first = await SmtpWire.ConnectAsync(_server.Smtp);
        await using var second = await SmtpWire.ConnectAsync(_server.Smtp);
        Assert.StartsWith("220", (await first.ReadReplyAsync())[0], StringComparison.Ordinal);
        Assert.StartsWith("220", (await second.ReadReplyAsync())[0], StringComparison.Ordinal);

        await using var third = await SmtpWire.ConnectAsync(_server.Smtp);

        Assert.StartsWith("421 4.7.0", (await third.ReadReplyAsync())[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pop3_connections_beyond_the_per_client_limit_are_refused()
    {
        await using var first = await SmtpWire.ConnectAsync(_server.Pop3);
        Assert.StartsWith("+OK", (await first.ReadReplyAsync())[0], StringComparison.Ordinal);

        await using var second = await SmtpWire.ConnectAsync(_server.Pop3);

        Assert.StartsWith("-ERR [SYS/TEMP]", (await second.ReadReplyAsync())[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_client_is_disconnected_with_421()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();

        var reply = await wire.ReadReplyAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("421 4.4.2", reply[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renewed_certificate_files_are_used_without_a_restart()
    {
        var folder = Path.Combine(_server.DataDirectory, "renew");
        Directory.CreateDirectory(folder);
        var made = await ProcessRunner.RunAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=renewed.example.jp", "-keyout", Path.Combine(folder, "key.pem"), "-out", Path.Combine(folder, "cert.pem")]);
        Assert.True(made.ExitCode == 0, made.Error);

        File.Copy(Path.Combine(folder, "key.pem"), Path.Combine(_server.DataDirectory, "tls-key.pem"), overwrite: true);
        File.Copy(Path.Combine(folder, "cert.pem"), Path.Combine(_server.DataDirectory, "tls-cert.pem"), overwrite: true);

        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync("127.0.0.1", _server.Submissions);
        string? subject = null;
        await using var tls = new System.Net.Security.SslStream(client.GetStream(), false, (_, certificate, _, _) =>
        {
            subject = certificate?.Subject;
            return true;
        });
        await tls.AuthenticateAsClientAsync("mx.example.jp");

        Assert.Equal("CN=renewed.example.jp", subject);
    }

    [Fact]
    public async Task Backup_mx_domain_is_accepted_for_any_user_and_queued_for_relay()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        await wire.CommandAsync("MAIL FROM:<a@remote.example>");

        Assert.StartsWith("250 2.1.5", await wire.CommandAsync("RCPT TO:<anyone@backup.example>"), StringComparison.Ordinal);
        await wire.CommandAsync("DATA");
        Assert.StartsWith("250 2.0.0", await wire.CommandAsync("Subject: for the primary\r\n\r\nx\r\n."), StringComparison.Ordinal);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!_server.OutboundEnvelopes().Any(e => e.Contains("anyone@backup.example", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(_server.OutboundEnvelopes(), e => e.Contains("anyone@backup.example", StringComparison.Ordinal));
    }
}
