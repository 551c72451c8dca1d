using MailServerless.EdgeServer.Imap;

namespace MailServerless.UnitTests.Imap;

/// <summary>The IMAP URLs CATENATE takes (RFC 5092 §6, RFC 4469 §5).</summary>
public sealed class ImapUrlTests
{
    [Theory]
    [InlineData("/INBOX;UIDVALIDITY=385759045/;UID=20/;SECTION=1.MIME", "INBOX", 385759045u, 20u, "1.MIME", null)]
    [InlineData("imap://fred@example.com/INBOX/;UID=20/;PARTIAL=0.1024", "INBOX", null, 20u, null, "0.1024")]
    [InlineData("/Projekt%20&AMQ-/;UID=7/;SECTION=HEADER.FIELDS%20(SUBJECT)/;PARTIAL=10", "Projekt &AMQ-", null, 7u, "HEADER.FIELDS (SUBJECT)", "10.4294967295")]
    [InlineData(";UID=3", null, null, 3u, null, null)]
    public void Names_a_mailbox_a_uid_a_section_and_a_range(string url, string? mailbox, uint? validity, uint uid, string? section, string? partial)
    {
        Assert.Equal(new ImapUrl(mailbox, validity, uid, section, partial), ImapUrl.Parse(url));
    }

    [Theory]
    [InlineData("/INBOX;UID=20")]
    [InlineData("/INBOX/;UID=0")]
    [InlineData("/INBOX/;UID=x")]
    [InlineData("/INBOX/;UID=1/;URLAUTH=anonymous")]
    [InlineData("imap://host")]
    [InlineData("/INBOX;UIDVALIDITY=/;UID=1")]
    [InlineData("")]
    public void Refuses_what_names_no_message(string url) => Assert.Null(ImapUrl.Parse(url));
}
