using System.Text;
using MailServerless.EdgeServer.Imap.Fetch;
using MimeKit;

namespace MailServerless.UnitTests.Imap;

public sealed class BodyStructureTests
{
    private static MessageContent Content(string message) => MessageContent.Parse(MessageContent.ToCrlf(Encoding.UTF8.GetBytes(message)));

    [Fact]
    public void A_plain_message_without_content_type_is_text_plain_us_ascii_with_its_size_and_lines()
    {
        var content = Content("Subject: x\n\nline one\nline two\n");

        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 20 2 NIL NIL NIL NIL)", BodyStructure.Format(content, extensible: true));
        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 20 2)", BodyStructure.Format(content, extensible: false));
    }

    [Fact]
    public void Attachments_carry_disposition_encoding_id_and_language()
    {
        var content = Content(
            "Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nhi\r\n--X\r\n" +
            "Content-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <id1@x>\r\n" +
            "Content-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Language: de\r\n\r\nAAAA\r\n--X--\r\n");

        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 2 0 NIL NIL NIL NIL)" +
            "(\"application\" \"pdf\" (\"name\" \"a.pdf\") \"<id1@x>\" NIL \"base64\" 4 NIL (\"attachment\" (\"filename\" \"a.pdf\")) (\"de\") NIL) " +
            "\"mixed\" (\"boundary\" \"X\") NIL NIL NIL)",
            BodyStructure.Format(content, extensible: true));
    }

    [Fact]
    public void Envelope_keeps_encoded_words_quotes_strings_and_fills_sender_and_reply_to_from_from()
    {
        var headers = HeaderList.Load(new MemoryStream(Encoding.UTF8.GetBytes(
            "Date: Mon, 2 Feb 2026 10:00:00 +0000\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= \"quoted\"\r\n" +
            "From: \"Doe, John\" <john@example.net>\r\nTo: team: a@x, b@y;, c@z\r\nMessage-ID: <m1@x>\r\n\r\n")));

        Assert.Equal(
            "(\"Mon, 2 Feb 2026 10:00:00 +0000\" \"=?utf-8?q?Gr=C3=BC=C3=9Fe?= \\\"quoted\\\"\" " +
            "((\"Doe, John\" NIL \"john\" \"example.net\")) ((\"Doe, John\" NIL \"john\" \"example.net\")) ((\"Doe, John\" NIL \"john\" \"example.net\")) " +
            "((NIL NIL \"team\" NIL)(NIL NIL \"a\" \"x\")(NIL NIL \"b\" \"y\")(NIL NIL NIL NIL)(NIL NIL \"c\" \"z\")) NIL NIL NIL \"<m1@x>\")",
            Envelope.Format(headers));
    }

    [Fact]
    public void Files_with_lf_line_ends_are_served_with_crlf()
    {
        Assert.Equal("a\r\nb\r\n", Encoding.ASCII.GetString(MessageContent.ToCrlf("a\nb\r\n"u8)));
        Assert.Equal("\r\n\r\n", Encoding.ASCII.GetString(MessageContent.ToCrlf("\n\n"u8)));
    }
}
