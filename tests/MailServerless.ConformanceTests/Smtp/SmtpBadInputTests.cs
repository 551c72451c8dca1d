using System.Text;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>Every kind of wrong input gets its reply code, and the server stays up.</summary>
public sealed class SmtpBadInputTests(SmtpServerFixture fixture) : IClassFixture<SmtpServerFixture>
{
    private MailServerInstance Server => fixture.Server;

    private async Task<SmtpWire> ConnectAsync(bool ehlo = true)
    {
        var wire = await SmtpWire.ConnectAsync(Server.Smtp);
        await wire.ReadReplyAsync();
        if (ehlo)
        {
            await wire.CommandAsync("EHLO client.example");
        }

        return wire;
    }

    [Fact]
    public async Task Commands_out_of_sequence_get_503()
    {
        await using var wire = await ConnectAsync(ehlo: false);

        Assert.StartsWith("503 5.5.1", await wire.CommandAsync("MAIL FROM:<a@remote.example>"), StringComparison.Ordinal);
        await wire.CommandAsync("EHLO client.example");
        Assert.StartsWith("503 5.5.1", await wire.CommandAsync("RCPT TO:<user1@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("503 5.5.1", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        await wire.CommandAsync("MAIL FROM:<a@remote.example>");
        Assert.StartsWith("503 5.5.1", await wire.CommandAsync("MAIL FROM:<a@remote.example>"), StringComparison.Ordinal);
        Assert.StartsWith("554 5.5.1", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MAIL FROM user@remote.example", "501 5.5.4")]
    [InlineData("MAIL FROM:<bad address>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@remote.example> SIZE=999999999999", "552 5.3.4")]
    [InlineData("MAIL FROM:<a@remote.example> FOO=BAR", "555 5.5.4")]
    [InlineData("EHLO", "501 5.5.4")]
    [InlineData("FROBNICATE", "500 5.5.2")]
    [InlineData("EXPN staff", "502 5.5.1")]
    [InlineData("DATA now", "501 5.5.4")]
    public async Task Syntax_errors_get_their_codes(string command, string reply)
    {
        await using var wire = await ConnectAsync();

        Assert.StartsWith(reply, await wire.CommandAsync(command), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("NOOP"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_long_line_and_nul_bytes_are_refused_and_the_session_goes_on()
    {
        await using var wire = await ConnectAsync();

        Assert.StartsWith("500 5.5.2", await wire.CommandAsync("NOOP " + new string('x', 20_000)), StringComparison.Ordinal);
        Assert.StartsWith("500 5.5.2", await wire.CommandAsync("MAIL FROM:<a@remote.example>" + new string('x', 600)), StringComparison.Ordinal);
        Assert.StartsWith("500 5.5.2", await wire.CommandAsync("NO\0OP"), StringComparison.Ordinal);
        // A bare CR would end up inside the Received: header (header injection).
        Assert.StartsWith("500 5.5.2", await wire.CommandAsync("EHLO client.example\rX-Injected: yes"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("NOOP"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_base64_and_cancelled_auth_get_501()
    {
        var wire = await SmtpWire.ConnectAsync(Server.Submissions, implicitTls: true);
        await using (wire)
        {
            await wire.ReadReplyAsync();
            await wire.CommandAsync("EHLO client.example");

            Assert.StartsWith("501 5.5.2", await wire.CommandAsync("AUTH PLAIN !!!not-base64!!!"), StringComparison.Ordinal);
            Assert.StartsWith("334", await wire.CommandAsync("AUTH LOGIN"), StringComparison.Ordinal);
            Assert.StartsWith("501 5.0.0", await wire.CommandAsync("*"), StringComparison.Ordinal);
            Assert.StartsWith("504 5.5.4", await wire.CommandAsync("AUTH CRAM-MD5"), StringComparison.Ordinal);
            Assert.StartsWith("535 5.7.8", await wire.CommandAsync("AUTH PLAIN " + Convert.ToBase64String("\0user1@example.jp\0wrong"u8.ToArray())), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Too_many_errors_close_the_session_with_421()
    {
        await using var wire = await ConnectAsync();

        await wire.SendAsync(string.Concat(Enumerable.Repeat("BOGUS\r\n", 25)));
        var replies = new List<string>();
        while (await wire.ReadReplyAsync() is [.., var line])
        {
            replies.Add(line);
        }

        Assert.Equal(20, replies.Count(r => r.StartsWith("500 5.5.2", StringComparison.Ordinal)));
        Assert.StartsWith("421 4.7.0", replies[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelined_commands_are_answered_in_order()
    {
        await using var wire = await ConnectAsync();

        await wire.SendAsync("MAIL FROM:<a@remote.example>\r\nRCPT TO:<user1@example.jp>\r\nRCPT TO:<nobody@example.jp>\r\nRCPT TO:<user2@example.jp>\r\nDATA\r\n");

        Assert.StartsWith("250 2.1.0", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        Assert.StartsWith("250 2.1.5", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        Assert.StartsWith("550 5.1.1", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        Assert.StartsWith("250 2.1.5", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        Assert.StartsWith("354", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        Assert.StartsWith("250 2.0.0", await wire.CommandAsync("Subject: pipelined\r\n\r\nhi\r\n."), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eight_bit_data_dot_stuffing_and_dropped_headers()
    {
        await using var wire = await ConnectAsync();
        await wire.CommandAsync("MAIL FROM:<a@remote.example>");
        await wire.CommandAsync("RCPT TO:<user1@example.jp>");
        await wire.CommandAsync("DATA");

        var reply = await wire.CommandAsync("Subject: dots-8bit\r\nReturn-Path: <forged@evil.example>\r\nBcc: hidden@example.jp\r\n\r\n..leading dot\r\n.\r\n");

        Assert.StartsWith("250 2.0.0", reply, StringComparison.Ordinal);
        var stored = await Server.WaitForMessageAsync("user1", "dots-8bit");
        Assert.Contains("\n.leading dot\n", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("forged@evil.example", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden@example.jp", stored, StringComparison.Ordinal);
    }
}
