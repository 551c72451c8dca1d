using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Authentication;

/// <summary>Subaddressing (Postfix's <c>recipient_delimiter = +</c>): user+tag@ reaches user@, the tag kept in X-Original-To.</summary>
public sealed class SubaddressTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Tagged_address_is_delivered_to_the_mailbox_with_the_tag_kept()
    {
        var result = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--from", "a@remote.example",
            "--to", "user1+lists@example.jp", "--header", "Subject: tagged delivery"]);
        Assert.True(result.ExitCode == 0, result.Output);
        var delivered = await _server.WaitForMessageAsync("user1", "tagged delivery");
        Assert.Contains("Delivered-To: user1@example.jp", delivered, StringComparison.Ordinal);
        Assert.Contains("X-Original-To: user1+lists@example.jp", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tag_on_an_unknown_user_is_still_refused()
    {
        var result = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--from", "a@remote.example",
            "--to", "nobody+x@example.jp", "--quit-after", "RCPT"]);
        Assert.Contains("550 5.1.1", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_delimiter_off_a_tagged_address_is_unknown()
    {
        await using var server = await MailServerInstance.StartAsync("--Mail:Delivery:RecipientDelimiter=");
        var result = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "a@remote.example",
            "--to", "user1+lists@example.jp", "--quit-after", "RCPT"]);
        Assert.Contains("550 5.1.1", result.Output, StringComparison.Ordinal);
    }
}
