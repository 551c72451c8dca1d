using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Durability;

/// <summary>The Maildir base full: an accepted message waits in the queue, leaves no partial file, and arrives once there is room.</summary>
public sealed class MaildirFullTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    // 256 KiB of Maildir base: a message of 400 KB cannot be delivered until the file system grows.
    public async Task InitializeAsync() => _server = await MailServerInstance.StartWithSmallFileSystemAsync("virtual", 256 * 1024);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Deliveries_wait_and_retry_without_partial_files_and_nothing_is_lost_once_space_returns()
    {
        await using var wire = await SmtpWire.ConnectAsync(_server.Smtp);
        Assert.StartsWith("354", await wire.OpenDataAsync("full.example", "sender@remote.example", "user1@example.jp"), StringComparison.Ordinal);
        var line = new string('y', 998) + "\r\n";
        var accepted = await wire.CommandAsync("Subject: waits for room\r\n\r\n" + string.Concat(Enumerable.Repeat(line, 400)) + ".");
        Assert.StartsWith("250", accepted, StringComparison.Ordinal);

        await Task.Delay(TimeSpan.FromSeconds(3)); // a few delivery attempts, each refused by the full disk
        // The tmpfs is seen only inside the server's mount namespace.
        var root = _server.MaildirRoot("user1");
        var count = $"grep -l 'waits for room' {root}/new/* {root}/cur/* 2>/dev/null | wc -l";
        Assert.Equal("0", await _server.InsideAsync(count));
        Assert.True(await TmpEmptiesAsync(root), "a refused delivery left a partial file in tmp/");
        Assert.Contains(" deferred for ", _server.Output, StringComparison.Ordinal);

        await _server.ResizeTmpfsAsync(16 * 1024 * 1024);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await _server.InsideAsync(count) == "0" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.Equal("1", await _server.InsideAsync(count));
        Assert.True(await TmpEmptiesAsync(root), "the delivery left a file in tmp/");
    }

    // A retry may be writing into tmp/ at the moment we look; a partial file left behind stays, so wait a little for
    // tmp/ to be seen empty rather than expecting it empty at one instant.
    private async Task<bool> TmpEmptiesAsync(string root)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await _server.InsideAsync($"ls {root}/tmp 2>/dev/null | wc -l") != "0")
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}
