using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Protocol;
using MailServerless.EdgeServer.Smtp;
using MailServerless.EdgeServer.Smtp.Parsing;

namespace MailServerless.UnitTests.Smtp;

/// <summary>BDAT chunks through the DATA reader's header rules (RFC 3030), and the DSN parameters' syntax (RFC 3461 §4).</summary>
public sealed class ChunkAndDsnParsingTests
{
    private static async Task<(DataOutcome Outcome, byte[] Message)> ChunksAsync(bool binary, long maxSize, params byte[][] chunks)
    {
        var body = new Pipe();
        var reader = new DataReader(new Pipe().Reader, body.Writer, maxSize, new HeaderLimits(102_400, 2048)) { BinaryBody = binary };
        foreach (var chunk in chunks)
        {
            await reader.WriteChunkAsync(chunk, CancellationToken.None);
        }

        var outcome = reader.FinishChunks();
        await body.Writer.CompleteAsync();
        var result = await body.Reader.ReadAtLeastAsync(int.MaxValue);
        return (outcome, result.Buffer.ToArray());
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Theory]
    [InlineData("Subject: a\r\n\r\nbody\r\n", "Subject: a\r\n\r\nbody\r\n")]
    [InlineData("Subject: a\r|\n\r\n|body", "Subject: a\r\n\r\nbody\r\n")]
    [InlineData("Subject: a\r\nBcc: x@y\r\n\r\n.leading dot\r\n", "Subject: a\r\n\r\n.leading dot\r\n")]
    public async Task Chunks_make_the_message_without_dot_stuffing_and_with_dropped_headers_and_a_final_crlf(string chunks, string expected)
    {
        var (outcome, message) = await ChunksAsync(false, 10_000, [.. chunks.Split('|').Select(Ascii)]);
        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal(expected, Encoding.ASCII.GetString(message));
    }

    [Theory]
    [InlineData("Subject: a\n\r\nbody\r\n")]
    [InlineData("Subject: a\r\n\r\nbo\rdy\r\n")]
    [InlineData("Subject: a\r\n\r\nbody\r")]
    public async Task A_bare_cr_or_lf_refuses_a_message_that_is_not_binarymime(string chunk)
    {
        Assert.Equal(DataOutcome.BareLineEnd, (await ChunksAsync(false, 10_000, Ascii(chunk))).Outcome);
    }

    [Fact]
    public async Task A_binarymime_body_keeps_every_octet_but_its_header_keeps_the_rules()
    {
        byte[] body = [0, (byte)'\n', (byte)'\r', 0xff, (byte)'\r'];
        var (outcome, message) = await ChunksAsync(true, 10_000, Ascii("Subject: b\r\n\r\n"), body);
        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal([.. Ascii("Subject: b\r\n\r\n"), .. body], message);

        Assert.Equal(DataOutcome.BareLineEnd, (await ChunksAsync(true, 10_000, Ascii("Subject: b\n\r\n"))).Outcome);
    }

    [Fact]
    public async Task Chunks_past_the_size_limit_are_too_big()
    {
        Assert.Equal(DataOutcome.TooBig, (await ChunksAsync(false, 20, Ascii("Subject: a\r\n\r\n"), Ascii("0123456789\r\n"))).Outcome);
    }

    [Theory]
    [InlineData("SUCCESS", DsnNotify.Success)]
    [InlineData("success,delay", DsnNotify.Success | DsnNotify.Delay)]
    [InlineData("FAILURE,SUCCESS,DELAY", DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay)]
    [InlineData("NEVER", DsnNotify.Never)]
    public void Notify_lists_are_read(string value, DsnNotify expected)
    {
        Assert.True(DsnParameters.TryParseNotify(value, out var notify));
        Assert.Equal(expected, notify);
    }

    [Theory]
    [InlineData("NEVER,SUCCESS")]
    [InlineData("")]
    [InlineData("SUCCESS,,DELAY")]
    [InlineData("ALWAYS")]
    public void Bad_notify_lists_are_refused(string value) => Assert.False(DsnParameters.TryParseNotify(value, out _));

    [Theory]
    [InlineData("rfc822;user+40example.jp", "rfc822;user@example.jp")]
    [InlineData("utf-8;J+C3+BCrg+40example.jp", "utf-8;Jürg@example.jp")]
    public void Orcpt_is_decoded_from_xtext(string value, string expected)
    {
        Assert.True(DsnParameters.TryParseOriginalRecipient(value, out var original));
        Assert.Equal(expected, original);
    }

    [Theory]
    [InlineData("user@example.jp")]
    [InlineData("rfc822;")]
    [InlineData(";user@example.jp")]
    [InlineData("rfc822;a+4")]
    [InlineData("rfc822;a+zz")]
    [InlineData("rfc822;a=b")]
    [InlineData("rfc822;a+0D+0Ab@example.jp")]
    [InlineData("rfc822;J+C3+BCrg@example.jp")]
    public void Bad_orcpt_is_refused(string value) => Assert.False(DsnParameters.TryParseOriginalRecipient(value, out _));
}
