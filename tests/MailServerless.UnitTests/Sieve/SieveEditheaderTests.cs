using System.Text;
using MailServerless.Core.Sieve;
using MailServerless.Functions;

namespace MailServerless.UnitTests.Sieve;

/// <summary>editheader (RFC 5293): what the script sees after its own edits, and the stored copy those edits make.</summary>
public sealed class SieveEditheaderTests
{
    private const string Message = "Received: from a by b; Thu, 03 Dec 2026 01:00:05 +0000\r\nX-Tag: one\r\nSubject: hi\r\nX-Tag: two\r\n\r\nbody\r\n";

    [Fact]
    public void Deleteheader_removes_an_added_field_and_the_message_s_own_by_index()
    {
        var result = SieveRunner.Run("""
            require ["editheader", "fileinto", "index"];
            addheader "X-Tag" "added";
            deleteheader :index 1 "X-Tag";
            deleteheader :index 2 "X-Tag";
            if header :is "X-Tag" "one" { fileinto "one-left"; }
            """, Message);

        // The first X-Tag is the added one (at the top); once it is gone the second is the message's "two".
        Assert.Empty(result.AddedHeaders);
        var deleted = Assert.Single(result.DeletedHeaders);
        Assert.Equal(("X-Tag", 1), (deleted.Name, deleted.Index));
        Assert.Equal(["store one-left"], result.Lines());
    }

    [Fact]
    public void Received_and_auto_submitted_are_protected()
    {
        var result = SieveRunner.Run("""
            require ["editheader"];
            deleteheader "Received";
            addheader "Auto-Submitted" "no";
            """, Message);

        Assert.Empty(result.DeletedHeaders);
        Assert.Empty(result.AddedHeaders);
    }

    [Fact]
    public void Stored_copy_has_the_fields_added_at_the_top_and_end_and_the_deleted_ones_gone()
    {
        var result = SieveRunner.Run("""
            require ["editheader"];
            addheader "X-First" "1";
            addheader "X-Second" "2";
            addheader :last "X-Last" "日本";
            deleteheader :index 2 "x-tag";
            """, Message);

        var stored = Encoding.UTF8.GetString(SieveHeaderChanges.Apply(Encoding.UTF8.GetBytes(Message), result));
        Assert.Equal(
            "X-Second: 2\r\nX-First: 1\r\nReceived: from a by b; Thu, 03 Dec 2026 01:00:05 +0000\r\nX-Tag: one\r\nSubject: hi\r\n" +
            "X-Last: =?utf-8?b?5pel5pys?=\r\n\r\nbody\r\n",
            stored);
    }

    [Fact]
    public void A_folded_field_is_deleted_whole_and_bare_lf_messages_stay_bare_lf()
    {
        const string folded = "Subject: hi\nX-Long: part one\n\tpart two\nTo: a@b.example\n\nbody\n";
        var result = SieveRunner.Run("require \"editheader\";\ndeleteheader \"X-Long\";\naddheader :last \"X-Added\" \"yes\";\n", folded);

        var stored = Encoding.UTF8.GetString(SieveHeaderChanges.Apply(Encoding.UTF8.GetBytes(folded), result));
        Assert.Equal("Subject: hi\nTo: a@b.example\nX-Added: yes\n\nbody\n", stored);
    }

    [Fact]
    public void A_message_with_no_body_gets_its_added_fields()
    {
        const string headerOnly = "Subject: hi\r\n";
        var result = SieveRunner.Run("require \"editheader\";\naddheader :last \"X-Added\" \"yes\";\n", headerOnly);

        Assert.Equal("Subject: hi\r\nX-Added: yes\r\n", Encoding.UTF8.GetString(SieveHeaderChanges.Apply(Encoding.UTF8.GetBytes(headerOnly), result)));
    }
}
