using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>What the server refuses, and how: relaying, unauthenticated submission, senders not one's own.</summary>
public sealed class SmtpPolicyTests(SmtpServerFixture fixture) : IClassFixture<SmtpServerFixture>
{
    private MailServerInstance Server => fixture.Server;

    private static async Task<SmtpWire> GreetedAsync(int port, bool tls = false, string? user = null)
    {
        var wire = await SmtpWire.ConnectAsync(port);
        Assert.StartsWith("220 ", (await wire.ReadReplyAsync())[0], StringComparison.Ordinal);
        await wire.CommandAsync("EHLO client.example");
        if (tls)
        {
            Assert.StartsWith("220 ", await wire.CommandAsync("STARTTLS"), StringComparison.Ordinal);
            await wire.StartTlsAsync();
            await wire.CommandAsync("EHLO client.example");
        }

        if (user is not null)
        {
            Assert.StartsWith("235 ", await wire.CommandAsync("AUTH PLAIN " + Plain(user, MailServerInstance.Password)), StringComparison.Ordinal);
        }

        return wire;
    }

    private static string Plain(string user, string password) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    [Theory]
    [InlineData("<someone@gmail.example>", "554 5.7.1")]
    [InlineData("<user%gmail.example@example.jp>", "550 5.1.1")]
    [InlineData("<gmail.example!user@example.jp>", "550 5.1.1")]
    [InlineData("<@example.jp:user@gmail.example>", "554 5.7.1")]
    [InlineData("<\"user@gmail.example\"@example.jp>", "550 5.1.1")]
    [InlineData("<user@[127.0.0.1]>", "554 5.7.1")]
    [InlineData("<user@[IPv6:::1]>", "554 5.7.1")]
    [InlineData("<user@gmail.example.>", "501 5.1.3")]
    [InlineData("<user1@example.jp@gmail.example>", "501 5.1.3")]
    public async Task Unauthenticated_relay_attempts_are_refused_and_nothing_is_queued_outbound(string recipient, string reply)
    {
        await using var wire = await GreetedAsync(Server.Smtp);
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<spammer@remote.example>"), StringComparison.Ordinal);

        var answer = await wire.CommandAsync($"RCPT TO:{recipient}");

        Assert.StartsWith(reply, answer, StringComparison.Ordinal);
        Assert.StartsWith("554 5.5.1", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        Assert.Empty(Server.OutboundEnvelopes());
    }

    [Fact]
    public async Task Mx_port_takes_mail_for_local_users_aliases_and_alias_domains_and_refuses_unknown_and_full()
    {
        await using var wire = await GreetedAsync(Server.Smtp);
        await wire.CommandAsync("MAIL FROM:<a@remote.example>");

        Assert.StartsWith("250 2.1.5", await wire.CommandAsync("RCPT TO:<user1@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("250 2.1.5", await wire.CommandAsync("RCPT TO:<INFO@Example.JP>"), StringComparison.Ordinal);
        Assert.StartsWith("250 2.1.5", await wire.CommandAsync("RCPT TO:<user2@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("550 5.1.1", await wire.CommandAsync("RCPT TO:<nobody@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("552 5.2.2", await wire.CommandAsync("RCPT TO:<full@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("553 5.6.7", await wire.CommandAsync("RCPT TO:<用户@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("252 ", await wire.CommandAsync("VRFY user1@example.jp"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submission_wants_starttls_before_auth_and_auth_before_mail()
    {
        await using var wire = await SmtpWire.ConnectAsync(Server.Submission);
        await wire.ReadReplyAsync();
        await wire.SendAsync("EHLO client.example\r\n");
        var ehlo = await wire.ReadReplyAsync();

        Assert.DoesNotContain(ehlo, l => l.Contains("AUTH", StringComparison.Ordinal));
        Assert.Contains(ehlo, l => l.Contains("STARTTLS", StringComparison.Ordinal));
        Assert.Equal("530 5.7.0 Must issue a STARTTLS command first", await wire.CommandAsync("AUTH PLAIN " + Plain("user1@example.jp", "secret")));
        Assert.Equal("530 5.7.0 Must issue a STARTTLS command first", await wire.CommandAsync("MAIL FROM:<user1@example.jp>"));

        await wire.CommandAsync("STARTTLS");
        await wire.StartTlsAsync();
        await wire.CommandAsync("EHLO client.example");
        Assert.Equal("530 5.7.0 Authentication required", await wire.CommandAsync("MAIL FROM:<user1@example.jp>"));
    }

    [Fact]
    public async Task Authenticated_user_may_send_as_itself_or_an_alias_of_its_own_only_and_to_anyone()
    {
        await using var wire = await GreetedAsync(Server.Submission, tls: true, user: "user3@example.jp");

        Assert.StartsWith("553 5.7.1", await wire.CommandAsync("MAIL FROM:<user1@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<sales@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("250 2.1.5", await wire.CommandAsync("RCPT TO:<friend@gmail.example>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("RSET"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<>"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authenticated_submission_to_an_outside_address_goes_to_the_outbound_queue()
    {
        await using var wire = await GreetedAsync(Server.Submission, tls: true, user: "user1@example.jp");
        await wire.CommandAsync("MAIL FROM:<user1@example.jp>");
        await wire.CommandAsync("RCPT TO:<outside-friend@gmail.example>");
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);

        Assert.StartsWith("250 2.0.0 Ok: queued as", await wire.CommandAsync("Subject: out\r\n\r\nhi\r\n."), StringComparison.Ordinal);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Server.OutboundEnvelopes().Any(e => e.Contains("outside-friend@gmail.example", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(Server.OutboundEnvelopes(), e => e.Contains("outside-friend@gmail.example", StringComparison.Ordinal));
    }
}
