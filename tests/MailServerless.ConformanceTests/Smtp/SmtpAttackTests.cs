using System.Text;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>SMTP smuggling, STARTTLS command injection, clients that vanish mid-message, brute force, size.</summary>
public sealed class SmtpAttackTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() =>
        _server = await MailServerInstance.StartAsync("--Mail:Smtp:MaxMessageSize=20000", "--Mail:Auth:MaxFailuresPerAddress=4");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<SmtpWire> InDataAsync(string subject)
    {
        var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        await wire.CommandAsync("MAIL FROM:<a@remote.example>");
        await wire.CommandAsync("RCPT TO:<user1@example.jp>");
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        await wire.SendAsync($"Subject: {subject}\r\n\r\n");
        return wire;
    }

    private int QueuedBodies() =>
        Directory.Exists(Path.Combine(_server.DataDirectory, "spool", "bodies"))
            ? Directory.GetFiles(Path.Combine(_server.DataDirectory, "spool", "bodies")).Length
            : 0;

    [Theory]
    [InlineData("\n.\r\n")]
    [InlineData("\r\n.\n")]
    [InlineData("\r.\r\n")]
    [InlineData("\r\n.\r")]
    public async Task Smuggled_end_of_data_is_refused_and_the_hidden_message_is_not_queued(string fakeEnd)
    {
        var subject = "smuggle" + Guid.NewGuid().ToString("N")[..8];
        await using var wire = await InDataAsync(subject);

        await wire.SendAsync($"first part{fakeEnd}MAIL FROM:<forged@example.jp>\r\nRCPT TO:<user2@example.jp>\r\nDATA\r\nSubject: {subject}-hidden\r\n\r\nx\r\n.\r\n");
        var reply = await wire.ReadReplyAsync();

        Assert.StartsWith("521 5.5.2", reply[0], StringComparison.Ordinal);
        Assert.Empty(await wire.ReadReplyAsync(TimeSpan.FromSeconds(5)));
        await Task.Delay(500);
        Assert.DoesNotContain(_server.Inbox("user1").Concat(_server.Inbox("user2")), m => m.Contains(subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Commands_pipelined_behind_starttls_are_thrown_away()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Submission);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");

        await wire.SendAsync("STARTTLS\r\nRSET\r\nMAIL FROM:<injected@evil.example>\r\n");
        Assert.StartsWith("220 2.0.0", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        await wire.StartTlsAsync();

        // The first reply over TLS answers our EHLO, not the injected RSET.
        await wire.SendAsync("EHLO client.example\r\n");
        var ehlo = await wire.ReadReplyAsync();
        Assert.StartsWith("250-mx.example.jp", ehlo[0], StringComparison.Ordinal);
        Assert.Contains(ehlo, l => l.Contains("AUTH PLAIN LOGIN", StringComparison.Ordinal));
        Assert.Equal("530 5.7.0 Authentication required", await wire.CommandAsync("MAIL FROM:<user1@example.jp>"));
    }

    [Fact]
    public async Task Client_vanishing_mid_data_leaves_nothing_queued()
    {
        var before = QueuedBodies();
        var subject = "vanish" + Guid.NewGuid().ToString("N")[..8];
        var wire = await InDataAsync(subject);
        await wire.SendAsync("half a message\r\nand no end");
        await wire.DisposeAsync();

        await Task.Delay(1000);

        Assert.Equal(before, QueuedBodies());
        Assert.DoesNotContain(_server.Inbox("user1"), m => m.Contains(subject, StringComparison.Ordinal));
        await using var next = await SmtpWire.ConnectAsync(_server.Smtp);
        Assert.StartsWith("220", (await next.ReadReplyAsync())[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_over_the_size_limit_is_refused_after_its_end_and_the_session_continues()
    {
        await using var wire = await InDataAsync("too big");

        var reply = await wire.CommandAsync(new string('x', 30_000) + "\r\n.");

        Assert.StartsWith("552 5.3.4", reply, StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("NOOP"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Password_guessing_is_slowed_then_refused_even_with_the_right_password()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Submissions, implicitTls: true);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        string Plain(string password) => "AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0user2@example.jp\0{password}"));

        var started = DateTime.UtcNow;
        for (var i = 0; i < 4; i++)
        {
            Assert.StartsWith("535 5.7.8", await wire.CommandAsync(Plain("guess" + i)), StringComparison.Ordinal);
        }

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(400), "failures are answered after a delay");
        Assert.StartsWith("454 4.7.0", await wire.CommandAsync(Plain(MailServerInstance.Password)), StringComparison.Ordinal);
    }
}
