using System.Text;
using MailServerless.EdgeServer.Imap.Fetch;

namespace MailServerless.UnitTests.Imap;

/// <summary>A message streamed from its file with CRLF line ends gives exactly the octets the in-memory conversion gives.</summary>
public sealed class CrlfMessageFileTests : IDisposable
{
    private const int Chunk = 64 * 1024;
    private readonly string _directory = Directory.CreateTempSubdirectory("crlf-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Files() => new()
    {
        "empty",
        "lf",
        "crlf",
        "mixed",
        "leading-lf",
        "lf-at-chunk-edge",
        "cr-at-chunk-end-lf-after",
        "large-lf",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task The_whole_file_streams_as_the_in_memory_conversion_gives_it(string name)
    {
        var raw = Content(name);
        using var file = Open(raw);

        var expected = MessageContent.ToCrlf(raw);
        Assert.Equal(expected.Length, file.Length);
        Assert.Equal(expected, await ReadAsync(file, 0, long.MaxValue));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(Chunk - 3, 10)]
    [InlineData(Chunk + 1, 2 * Chunk)]
    [InlineData(100, long.MaxValue)]
    [InlineData(10_000_000, 5)]
    public async Task A_partial_range_is_cut_from_the_converted_octets(long start, long count)
    {
        var raw = Content("large-lf");
        using var file = Open(raw);

        var expected = MessageContent.ToCrlf(raw);
        var from = (int)Math.Min(start, expected.Length);
        var take = (int)Math.Min(count, expected.Length - from);
        Assert.Equal(expected.AsSpan(from, take).ToArray(), await ReadAsync(file, start, count));
    }

    [Fact]
    public async Task A_file_that_shrank_after_counting_is_reported_not_padded()
    {
        var path = Path.Combine(_directory, "shrinking");
        await File.WriteAllBytesAsync(path, Content("large-lf"));
        using var file = CrlfMessageFile.Open(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), CancellationToken.None);
        await using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            writer.SetLength(1000);
        }

        await Assert.ThrowsAsync<MessageFileChangedException>(() => ReadAsync(file, 0, long.MaxValue));
    }

    private CrlfMessageFile Open(byte[] raw)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, raw);
        return CrlfMessageFile.Open(File.OpenHandle(path), CancellationToken.None);
    }

    private static async Task<byte[]> ReadAsync(CrlfMessageFile file, long start, long count)
    {
        var output = new MemoryStream();
        var flushes = 0;
        await file.CopyToAsync(start, count, bytes => output.Write(bytes), () =>
        {
            flushes++;
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        // Never more than one piece between flushes: a piece is at most twice a read.
        Assert.True(output.Length <= (long)(flushes + 1) * 2 * Chunk);
        return output.ToArray();
    }

    private static byte[] Content(string name)
    {
        var ascii = Encoding.ASCII;
        return name switch
        {
            "empty" => [],
            "lf" => ascii.GetBytes("Subject: a\n\nline one\nline two\n"),
            "crlf" => ascii.GetBytes("Subject: a\r\n\r\nline one\r\nline two\r\n"),
            "mixed" => ascii.GetBytes("Subject: a\r\n\nbare\nlone cr\r and crlf\r\nlast"),
            "leading-lf" => ascii.GetBytes("\nSubject: a\n"),
            "lf-at-chunk-edge" => [.. Enumerable.Repeat((byte)'x', Chunk - 1), (byte)'\n', (byte)'\n', (byte)'y'],
            "cr-at-chunk-end-lf-after" => [.. Enumerable.Repeat((byte)'x', Chunk - 1), (byte)'\r', (byte)'\n', (byte)'\n'],
            "large-lf" => ascii.GetBytes(string.Concat(Enumerable.Range(0, 40_000).Select(i => $"line {i} of a long message\n"))),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }
}
