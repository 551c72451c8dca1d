using System.Text;
using MailServerless.ConformanceTests.Imap;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// Giant headers: refused at DATA and APPEND over Postfix's header_size_limit and line_length_limit, and a
/// message already in a Maildir with one (Dovecot may have stored it) answered at once, with its structure.
/// Every wait here is the wire's 15-second read: before the parse was bounded, each FETCH took minutes.
/// </summary>
public sealed class HeaderBombTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync("--Mail:Imap:MaxAppendSize=50000000");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<string> SendToMxAsync(SmtpWire wire, string message)
    {
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<a@remote.example>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("RCPT TO:<user2@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        await wire.SendAsync(message);
        return await wire.CommandAsync(".");
    }

    [Fact]
    public async Task Over_the_header_limits_DATA_is_refused_and_the_session_goes_on()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");

        var oneLine = $"Subject: {new string('x', 200_000)}\r\n\r\nbody\r\n";
        var folded = "Subject: folded\r\n" + string.Concat(Enumerable.Repeat("X-Filler: " + new string('f', 1000) + "\r\n", 120)) + "\r\nbody\r\n";
        var longLine = $"Subject: {new string('l', 2100)}\r\n\r\nbody\r\n";
        Assert.StartsWith("552 5.3.4", await SendToMxAsync(wire, oneLine), StringComparison.Ordinal);
        Assert.StartsWith("552 5.3.4", await SendToMxAsync(wire, folded), StringComparison.Ordinal);
        Assert.StartsWith("552 5.3.4", await SendToMxAsync(wire, longLine), StringComparison.Ordinal);

        var longBodyLine = $"Subject: within limits\r\n\r\n{new string('b', 20_000)}\r\n";
        Assert.StartsWith("250 2.0.0", await SendToMxAsync(wire, longBodyLine), StringComparison.Ordinal);
        await _server.WaitForMessageAsync("user2", "within limits");
        Assert.DoesNotContain(_server.Inbox("user2"), m => m.Contains("xxxxxxxxxx", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Over_the_header_limit_APPEND_gets_NO_LIMIT_and_nothing_is_stored()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user3");
        var message = Encoding.ASCII.GetBytes($"Subject: {new string('x', 5_000_000)}\r\n\r\nbody\r\n");
        await wire.SendAsync($"ap APPEND INBOX {{{message.Length}+}}\r\n");
        await wire.SendAsync(message);
        await wire.SendAsync("\r\n");

        Assert.StartsWith("ap NO [LIMIT]", (await wire.ReadUntilTaggedAsync("ap"))[^1], StringComparison.Ordinal);
        Assert.Contains("* 0 EXISTS", await wire.CommandAsync("e EXAMINE INBOX"));
    }

    public static TheoryData<string, string> StoredBombs => new()
    {
        { "folded", "X-Bomb: start\r\n" + string.Concat(Enumerable.Repeat(" " + new string('w', 70) + "\r\n", 12_000_000 / 73)) },
        { "one line", "X-Bomb: " + new string('w', 12_000_000) + "\r\n" },
        { "addresses", "Cc: " + string.Concat(Enumerable.Repeat("someone@remote.example,\r\n ", 12_000_000 / 26)) + "last@remote.example\r\n" },
    };

    [Theory]
    [MemberData(nameof(StoredBombs))]
    public async Task A_stored_message_with_a_12_MB_header_is_fetched_with_its_envelope_and_structure(string shape, string bomb)
    {
        var user = shape switch { "folded" => "user1", "one line" => "user4", _ => "user5" };
        var message = "From: sender@remote.example\r\nSubject: bomb\r\n" + bomb +
                      "Content-Type: text/plain; charset=us-ascii\r\n\r\nthe body\r\n";
        var newDirectory = Path.Combine(_server.MaildirRoot(user), "new");
        Directory.CreateDirectory(newDirectory);
        await File.WriteAllTextAsync(Path.Combine(newDirectory, $"1700000000.M1P1.bomb-{user}"), message.ReplaceLineEndings("\n"));

        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, user);
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        var envelope = await wire.CommandAsync("e FETCH 1 (ENVELOPE)");
        var structure = await wire.CommandAsync("b FETCH 1 (BODYSTRUCTURE)");
        var text = await wire.CommandAsync("t FETCH 1 (BODY.PEEK[TEXT])");

        Assert.Equal("e OK Fetch completed.", envelope[^1]);
        Assert.Contains("\"bomb\" ((NIL NIL \"sender\" \"remote.example\"))", envelope[0], StringComparison.Ordinal);
        Assert.Equal("b OK Fetch completed.", structure[^1]);
        Assert.Contains("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1", structure[0], StringComparison.Ordinal);
        Assert.Equal("t OK Fetch completed.", text[^1]);
        Assert.Contains("the body", string.Join("\n", text), StringComparison.Ordinal);
    }
}
