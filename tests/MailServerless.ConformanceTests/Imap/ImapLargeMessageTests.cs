using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// FETCH of a large message streams it from its file with CRLF line ends made on the way: the octets are exact,
/// partial ranges are cut from them, and the server's memory does not grow by the message.
/// </summary>
public sealed class ImapLargeMessageTests : IAsyncLifetime
{
    private const int Lines = 1_600_000; // about 64 MB with LF line ends

    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_large_message_with_lf_line_ends_is_fetched_whole_and_in_part_exactly_and_without_holding_it()
    {
        await _server.DeliverAsync("user1", "small first");
        var raw = LargeMessage();
        // Written by another program, as a Maildir may hold it: LF line ends, no ,W= size in the name.
        await File.WriteAllBytesAsync(Path.Combine(_server.MaildirRoot("user1"), "new", "1700000000.M1P1.elsewhere"), raw);
        var expected = MessageContent.ToCrlf(raw);

        using var client = await MailKitImap.LoggedInAsync(_server, "user1");
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var uid = (await client.Inbox.SearchAsync(MailKit.Search.SearchQuery.SubjectContains("large one")))[0];
        var size = (await client.Inbox.FetchAsync([uid], MessageSummaryItems.Size))[0].Size;
        Assert.Equal((uint)expected.Length, size);

        var before = MemoryOf(_server.ProcessId, "VmRSS");
        ResetPeak(_server.ProcessId);
        await using (var whole = await client.Inbox.GetStreamAsync(uid, string.Empty))
        {
            Assert.Equal(SHA256.HashData(expected), await SHA256.HashDataAsync(whole));
        }

        var peak = MemoryOf(_server.ProcessId, "VmHWM");
        // ReadAllBytes and the CRLF copy held it twice (130 MB); streamed, the peak stays far below one copy.
        Assert.True(peak - before < expected.Length / 4, $"peak RSS grew by {(peak - before) / 1024} KiB for a {expected.Length / 1024} KiB message");

        await using var part = await client.Inbox.GetStreamAsync(uid, 40_000_001, 1000);
        Assert.Equal(expected.AsSpan(40_000_001, 1000).ToArray(), ((MemoryStream)part).ToArray());
        await client.DisconnectAsync(true);
    }

    private static byte[] LargeMessage()
    {
        var builder = new StringBuilder("From: sender@example.net\nTo: user1@example.jp\nSubject: large one\n\n", Lines * 40);
        for (var i = 0; i < Lines; i++)
        {
            builder.Append("line ").Append(i.ToString(CultureInfo.InvariantCulture)).Append(" of a large message body\n");
        }

        return Encoding.ASCII.GetBytes(builder.ToString());
    }

    /// <summary>A figure of /proc/PID/status in octets (VmRSS now, VmHWM the peak since the last reset).</summary>
    private static long MemoryOf(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Writing 5 to clear_refs resets the peak to the current size (Linux 4.0 and later).</summary>
    private static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");
}
