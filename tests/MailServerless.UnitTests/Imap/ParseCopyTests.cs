using System.Text;
using MailServerless.EdgeServer.Imap.Fetch;
using MimeKit;

namespace MailServerless.UnitTests.Imap;

/// <summary>
/// The copy MimeKit parses in place of a message with giant headers: the structure found in it, mapped back,
/// is the structure of the message itself; only header values past the caps are seen shortened.
/// </summary>
public sealed class ParseCopyTests
{
    /// <summary>A header of about <paramref name="octets"/> folded into lines of 70.</summary>
    private static string Folded(string name, int octets)
    {
        var text = new StringBuilder(name).Append(": first");
        for (var line = 0; line < octets / 70; line++)
        {
            text.Append("\r\n").Append(' ', 1 + (line % 3)).Append(new string('w', 66));
        }

        return text.Append("\r\n").ToString();
    }

    /// <summary>A multipart message with overlong headers at the top, in a part, in an attached message, and an overlong indented run in a body.</summary>
    private static byte[] Message(int longHeader) => Encoding.ASCII.GetBytes(
        "From: a@b.example\r\n" + Folded("X-Top", longHeader) + "Subject: s\r\n" +
        "Content-Type: multipart/mixed; boundary=B\r\n\r\n" +
        "--B\r\nContent-Type: text/plain\r\n" + Folded("X-Part", longHeader) + "\r\n" +
        "first\r\n" + string.Concat(Enumerable.Repeat("    indented line of code\r\n", longHeader / 27)) + "last\r\n" +
        "--B\r\nContent-Type: message/rfc822\r\n\r\n" +
        "From: c@d.example\r\n" + "X-Inner: " + new string('i', longHeader) + "\r\nSubject: inner\r\n\r\ninner body\r\n" +
        "--B--\r\n");

    /// <summary>Every entity's (begin, body start, end) in document order, as MimeKit finds them in the message itself.</summary>
    private static List<EntityRange> DirectRanges(byte[] bytes)
    {
        var ranges = new Dictionary<object, EntityRange>(ReferenceEqualityComparer.Instance);
        var parser = new MimeParser(new MemoryStream(bytes), MimeFormat.Entity);
        parser.MimeEntityEnd += (_, e) => ranges[e.Entity] = new EntityRange((int)e.BeginOffset, (int)e.HeadersEndOffset, (int)e.EndOffset);
        return Walk(parser.ParseMessage()).Select(e => ranges[e]).ToList();
    }

    private static IEnumerable<MimeEntity> Walk(MimeMessage message)
    {
        foreach (var entity in message.BodyParts.Prepend(message.Body).Distinct())
        {
            yield return entity!;
        }

        foreach (var inner in message.BodyParts.OfType<MessagePart>())
        {
            foreach (var entity in Walk(inner.Message!))
            {
                yield return entity;
            }
        }
    }

    [Fact]
    public void A_message_without_long_lines_is_parsed_as_it_is()
    {
        var bytes = Message(100);
        var copy = ParseCopy.Of(bytes);
        Assert.Same(bytes, copy.Bytes);
        Assert.False(copy.IsCut);
    }

    [Fact]
    public void Structure_and_sizes_found_in_the_copy_are_those_of_the_message()
    {
        var bytes = Message(ParseCopy.MaxLogicalLine * 3);
        var content = MessageContent.Parse(bytes);

        var found = Walk(content.Message).Select(content.RangeOf).ToList();

        Assert.True(ParseCopy.Of(bytes).IsCut);
        Assert.Equal(DirectRanges(bytes), found);
        Assert.Equal("s", content.Message.Subject);
        Assert.Equal("inner", Assert.IsType<MessagePart>(content.Message.BodyParts.Last()).Message!.Subject);
    }

    [Fact]
    public void A_top_header_past_its_cap_is_cut_to_the_end_of_the_section_and_the_body_stays_where_it_is()
    {
        var headers = string.Concat(Enumerable.Range(0, ParseCopy.MaxTopHeader / 1000 + 50).Select(i => $"X-Filler-{i}: {new string('f', 980)}\r\n"));
        var bytes = Encoding.ASCII.GetBytes("From: a@b.example\r\n" + headers + "Subject: late\r\n\r\nthe body\r\n");
        var content = MessageContent.Parse(bytes);

        var range = content.RangeOf(content.Message);
        Assert.Equal(bytes.Length - "the body\r\n".Length, range.BodyStart);
        Assert.Equal("the body\r\n", Encoding.ASCII.GetString(content.Slice(range.BodyStart, range.End)));
        Assert.True(ParseCopy.Of(bytes).Bytes.Length < ParseCopy.MaxTopHeader + 2000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(13)]
    public void Cuts_never_make_an_empty_line(int shape)
    {
        // A continuation line of one octet or a header ending exactly at the cap.
        var filler = new string('x', ParseCopy.MaxLogicalLine - "X-A: ".Length - shape);
        var bytes = Encoding.ASCII.GetBytes($"X-A: {filler}\r\n \r\n\tmore\r\n{new string(' ', shape)}\r\nSubject: kept\r\n\r\nbody\r\n");
        var copy = Encoding.ASCII.GetString(ParseCopy.Of(bytes).Bytes);
        var header = copy[..copy.IndexOf("\r\n\r\n", StringComparison.Ordinal)];

        Assert.Contains("Subject: kept", header, StringComparison.Ordinal);
        Assert.Equal("kept", MessageContent.Parse(bytes).Message.Subject);
    }
}
