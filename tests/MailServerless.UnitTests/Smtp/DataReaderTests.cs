using MailServerless.EdgeServer.Protocol;
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MailServerless.EdgeServer.Smtp;

namespace MailServerless.UnitTests.Smtp;

public class DataReaderTests
{
    /// <summary>Feeds the DATA section in the given pieces (as TCP might split it) and returns the outcome and the message.</summary>
    private static async Task<(DataOutcome Outcome, string Message)> ReadAsync(long maxSize, params string[] pieces)
    {
        var (outcome, message, _) = await ReadWithHeaderAsync(maxSize, new HeaderLimits(102_400, 2048), pieces);
        return (outcome, message);
    }

    private static async Task<(DataOutcome Outcome, string Message, string Header)> ReadWithHeaderAsync(long maxSize, HeaderLimits limits, params string[] pieces)
    {
        var network = new Pipe();
        var body = new Pipe();
        var reader = new DataReader(network.Reader, body.Writer, maxSize, limits);
        var reading = reader.ReadAsync(new TransferDeadline(TimeSpan.FromSeconds(5), 500, TimeProvider.System), CancellationToken.None);
        foreach (var piece in pieces)
        {
            await network.Writer.WriteAsync(Encoding.ASCII.GetBytes(piece));
            await Task.Yield();
        }

        await network.Writer.CompleteAsync();
        var outcome = await reading;
        await body.Writer.CompleteAsync();
        var result = await body.Reader.ReadAtLeastAsync(int.MaxValue);
        return (outcome, Encoding.ASCII.GetString(result.Buffer.ToArray()), Encoding.ASCII.GetString(reader.Header.Span));
    }

    [Theory]
    [InlineData("Subject: a\r\n\r\nbody\r\n.\r\n")]
    [InlineData("Subject: a\r\n\r\nbody\r|\n.|\r|\n")]
    [InlineData("Subj|ect: a\r\n|\r\n|bo|dy\r\n.\r\n")]
    public async Task End_of_data_is_found_across_any_split(string split)
    {
        var (outcome, message) = await ReadAsync(1000, split.Split('|'));

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal("Subject: a\r\n\r\nbody\r\n", message);
    }

    [Theory]
    [InlineData("..one dot\r\n.\r\n", ".one dot\r\n")]
    [InlineData("...two\r\n.\r\n", "..two\r\n")]
    [InlineData("a.\r\n.b\r\n.\r\n", "a.\r\nb\r\n")]
    public async Task Leading_dots_are_unstuffed(string data, string expectedBody)
    {
        var (outcome, message) = await ReadAsync(1000, "Subject: x\r\n\r\n", data);

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal("Subject: x\r\n\r\n" + expectedBody, message);
    }

    [Theory]
    [InlineData("body\n.\r\n")]
    [InlineData("body\r\n.\n")]
    [InlineData("body\r.\r\n")]
    [InlineData("body\r\n.\rMAIL FROM:<x@y>\r\n.\r\n")]
    [InlineData("line with a bare\nLF\r\n.\r\n")]
    public async Task Bare_cr_or_lf_anywhere_is_refused(string data)
    {
        var (outcome, _) = await ReadAsync(1000, "Subject: x\r\n\r\n", data);

        Assert.Equal(DataOutcome.BareLineEnd, outcome);
    }

    [Fact]
    public async Task Dropped_headers_and_their_continuations_are_left_out_and_the_body_untouched()
    {
        var (outcome, message) = await ReadAsync(1000,
            "Return-Path: <x@evil>\r\nBcc: a@b,\r\n c@d\r\nSubject: keep\r\nContent-Length: 5\r\n\r\nBcc: in the body stays\r\n.\r\n");

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal("Subject: keep\r\n\r\nBcc: in the body stays\r\n", message);
    }

    [Fact]
    public async Task Message_over_the_limit_is_read_to_its_end_and_reported_too_big()
    {
        var (outcome, message) = await ReadAsync(50, "Subject: x\r\n\r\n", new string('y', 200), "\r\n.\r\n");

        Assert.Equal(DataOutcome.TooBig, outcome);
        Assert.True(message.Length <= 50);
    }

    [Fact]
    public async Task Client_that_stops_mid_message_is_closed()
    {
        var (outcome, _) = await ReadAsync(1000, "Subject: x\r\n\r\nhalf");

        Assert.Equal(DataOutcome.Closed, outcome);
    }

    [Fact]
    public async Task The_header_section_is_kept_aside_without_the_dropped_headers_or_the_empty_line()
    {
        var (outcome, _, header) = await ReadWithHeaderAsync(
            1000, new HeaderLimits(1000, 100), "From: a@b.example\r\nBcc: hidden@b.example\r\nSubject: x\r\n\r\n..body\r\n.\r\n");

        Assert.Equal(DataOutcome.Complete, outcome);
        Assert.Equal("From: a@b.example\r\nSubject: x\r\n", header);
    }

    [Theory]
    [InlineData(40, 1000, 38, DataOutcome.Complete)] // a 38-octet line at a 40-octet line limit
    [InlineData(38, 1000, 38, DataOutcome.Complete)] // exactly at the limit: CRLF does not count
    [InlineData(37, 1000, 38, DataOutcome.HeaderTooBig)]
    [InlineData(1000, 60, 38, DataOutcome.Complete)] // 38 + CRLF + "To: c@d.example" + CRLF = 57 octets of headers
    [InlineData(1000, 50, 38, DataOutcome.HeaderTooBig)]
    public async Task Headers_over_Postfixs_header_size_or_line_length_limit_are_refused_and_the_body_is_not(
        int maxLine, int maxHeader, int lineLength, DataOutcome expected)
    {
        var subject = "Subject: " + new string('s', lineLength - "Subject: ".Length);
        var body = new string('b', 5000); // a body line is never limited (Postfix splits and rejoins those)
        var (outcome, _, _) = await ReadWithHeaderAsync(
            100_000, new HeaderLimits(maxHeader, maxLine), subject + "\r\nTo: c@d.example\r\n\r\n", body, "\r\n.\r\n");

        Assert.Equal(expected, outcome);
    }
}
