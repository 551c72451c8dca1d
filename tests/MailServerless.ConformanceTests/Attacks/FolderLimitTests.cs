using MailServerless.ConformanceTests.Imap;
using MailServerless.Core.Storage;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>A mailbox holds at most Mail:Imap:MaxFolders folders.</summary>
public sealed class FolderLimitTests : IAsyncLifetime
{
    private const int MaxFolders = 12;
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync($"--Mail:Imap:MaxFolders={MaxFolders}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task CREATE_past_the_folder_limit_gets_NO_LIMIT_and_makes_nothing()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        var existing = (await wire.CommandAsync("l LIST \"\" \"*\"")).Count - 1;

        for (var i = existing; i < MaxFolders; i++)
        {
            Assert.Equal($"c{i} OK Create completed.", await wire.ResultAsync($"c{i} CREATE Flood{i}"));
        }

        Assert.StartsWith("x NO [LIMIT]", await wire.ResultAsync("x CREATE OneTooMany"), StringComparison.Ordinal);
        Assert.StartsWith("y NO [LIMIT]", await wire.ResultAsync("y RENAME INBOX Moved"), StringComparison.Ordinal);
        Assert.Equal(MaxFolders, (await wire.CommandAsync("l LIST \"\" \"*\"")).Count - 1);
        Assert.Equal("d OK Delete completed.", await wire.ResultAsync($"d DELETE Flood{MaxFolders - 1}"));
        Assert.Equal("z OK Create completed.", await wire.ResultAsync("z CREATE Room"));
    }
}

/// <summary>A folder name too long for the file system is refused, not a server error (with every setting at its default).</summary>
public sealed class FolderNameTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_name_too_long_for_the_file_system_gets_NO_CANNOT()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
        var cjk = string.Concat(Enumerable.Repeat("漢字", 100)); // 200 characters, over 255 octets once encoded

        Assert.StartsWith("a NO [CANNOT]", await wire.ResultAsync($"a CREATE \"{ModifiedUtf7.Encode(cjk)}\""), StringComparison.Ordinal);
        Assert.Equal("b OK Create completed.", await wire.ResultAsync("b CREATE Short"));
        Assert.StartsWith("c NO [CANNOT]", await wire.ResultAsync($"c RENAME Short \"{ModifiedUtf7.Encode(cjk)}\""), StringComparison.Ordinal);
        // The parent's new name fits; its child's, one level below, would not.
        Assert.Equal("d OK Create completed.", await wire.ResultAsync($"d CREATE Short.{new string('c', 100)}"));
        Assert.StartsWith("e NO [CANNOT]", await wire.ResultAsync($"e RENAME Short \"{ModifiedUtf7.Encode(cjk[..60])}\""), StringComparison.Ordinal);
        Assert.Equal("f OK NOOP completed.", await wire.ResultAsync("f NOOP"));
    }
}
