using System.Diagnostics;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>Input meant to break the server: deep nesting, literals behind refused lines, echoing CRLF, costly patterns.</summary>
public sealed class ImapHostileInputTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync("--Mail:Auth:AllowPlaintextWithoutTls=true");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Deeply_nested_search_criteria_get_bad_and_the_server_lives_on()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        var deep = await wire.ResultAsync("a SEARCH " + string.Concat(Enumerable.Repeat("NOT ", 15000)) + "ALL");
        var shallow = await wire.CommandAsync("b SEARCH NOT NOT ALL");

        Assert.Equal("a BAD Search criteria nested too deeply.", deep);
        Assert.Equal("b OK Search completed.", shallow[^1]);
        await using var other = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
    }

    [Fact]
    public async Task A_non_synchronising_literal_behind_a_refused_line_is_never_run_as_a_command()
    {
        await using (var anonymous = await ImapWire.ConnectAsync(_server.Imap))
        {
            var login = $"z LOGIN user1@example.jp {MailServerInstance.Password}\r\n";
            await anonymous.SendAsync($"* APPEND INBOX {{{Encoding.ASCII.GetByteCount(login)}+}}\r\n{login}\r\n");
            Assert.Equal("* BAD Invalid tag.", await anonymous.ReadLineAsync());
            Assert.Equal("b BAD Command not allowed in this state.", await anonymous.ResultAsync("b SELECT INBOX"));
        }

        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        const string create = "z CREATE Injected\r\n";
        await wire.SendAsync(Encoding.ASCII.GetBytes($"a APPEND INBOX (\\Seen \x01) {{{create.Length}+}}\r\n{create}\r\n"));
        Assert.Equal("a BAD Invalid characters in command.", await wire.ReadLineAsync());
        Assert.StartsWith("c OK", await wire.ResultAsync("c NOOP"), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_server.MaildirRoot("user1"), ".Injected")));
    }

    [Fact]
    public async Task Before_login_literals_are_limited_to_what_login_needs()
    {
        await using var wire = await ImapWire.ConnectAsync(_server.Imap);

        Assert.Equal("a NO [TOOBIG] Literal too large.", await wire.ResultAsync("a APPEND INBOX {52428800}"));
        await wire.SendAsync("b LOGIN {16}\r\n");
        Assert.StartsWith("+ ", await wire.ReadLineAsync(), StringComparison.Ordinal);
        await wire.SendAsync($"user2@example.jp {{{MailServerInstance.Password.Length}}}\r\n");
        Assert.StartsWith("+ ", await wire.ReadLineAsync(), StringComparison.Ordinal);
        await wire.SendAsync(MailServerInstance.Password + "\r\n");
        Assert.StartsWith("b OK [CAPABILITY", (await wire.ReadUntilTaggedAsync("b"))[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_over_long_line_ends_the_connection_so_nothing_in_it_can_run()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await wire.SendAsync("f NOOP " + new string('x', 70_000) + " {19+}\r\nz CREATE Smuggled\r\n\r\n");

        Assert.Equal("f BAD Command line too long.", await wire.ReadLineAsync());
        Assert.Equal("* BYE Command line too long.", await wire.ReadLineAsync());
        Assert.Null(await wire.ReadLineAsync());
        Assert.False(Directory.Exists(Path.Combine(_server.MaildirRoot("user1"), ".Smuggled")));
    }

    [Fact]
    public async Task Client_text_echoed_in_an_answer_cannot_add_lines()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);
        const string evil = "x\r\n* 99 EXISTS\r\n* OK [ALERT] hi";
        await wire.SendAsync($"a SEARCH BEFORE {{{evil.Length}+}}\r\n{evil}\r\n");

        var answer = await wire.ReadUntilTaggedAsync("a");
        Assert.Single(answer);
        Assert.StartsWith("a BAD Invalid date x??* 99 EXISTS", answer[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_patterns_full_of_wildcards_are_answered()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await wire.ResultAsync("c CREATE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        var stars = await wire.ResultAsync("a LIST \"\" \"" + string.Concat(Enumerable.Repeat("*a", 40)) + "*b\"");
        var percents = await wire.ResultAsync("b LIST \"\" \"" + string.Concat(Enumerable.Repeat("%a", 60)) + "\"");

        Assert.Equal("a OK LIST completed.", stars);
        Assert.Equal("b OK LIST completed.", percents);
    }
}
