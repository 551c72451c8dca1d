using MailServerless.Core.Storage;

namespace MailServerless.UnitTests.Storage;

public class UidListTests
{
    private static uint NewValidity() => 424242;

    [Fact]
    public void Dovecot_file_with_appended_records_gives_the_next_uid_past_the_last_record()
    {
        // As Dovecot 2.3 leaves it after two deliveries: the header still says N1.
        var list = UidList.Parse(
            "3 V1795915848 N1 G9678623348800b6b374f000083ecc375\n1 :1795915848.M860653P20279.vm,S=143,W=151\n2 :1795915848.M884005P20282.vm,S=115,W=122\n",
            NewValidity);

        Assert.Equal(1795915848u, list.UidValidity);
        Assert.Equal(3u, list.NextUid);
        Assert.Equal("9678623348800b6b374f000083ecc375", list.MailboxGuid);
        Assert.Equal([1u, 2u], list.Records.Select(r => r.Uid));
        Assert.False(list.Damaged);
    }

    [Fact]
    public void Extension_fields_are_kept_through_a_rewrite()
    {
        var list = UidList.Parse("3 V5 N10 Gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n7 W1234 :a,S=1\n", NewValidity);

        Assert.Equal("3 V5 N10 Gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n7 W1234 :a,S=1\n", list.Serialize());
    }

    [Fact]
    public void Damaged_lines_are_skipped_and_the_readable_uids_kept()
    {
        var list = UidList.Parse("3 V5 N4 Gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n1 :one\ngarbage\n2 two-without-colon\n3 :three\n2 :out-of-order\n3 :three\n", NewValidity);

        Assert.True(list.Damaged);
        Assert.Equal(["one", "three"], list.Records.Select(r => r.BaseName));
        Assert.Equal(5u, list.UidValidity);
        Assert.Equal(4u, list.NextUid);
    }

    [Fact]
    public void Unreadable_header_gets_a_new_uidvalidity_but_never_reuses_a_uid()
    {
        var list = UidList.Parse("\u0000\u0000garbage\n9 :nine\n", NewValidity);

        Assert.True(list.Damaged);
        Assert.Equal(424242u, list.UidValidity);
        Assert.Equal(10u, list.NextUid);
    }

    [Fact]
    public void Assigned_uids_continue_from_next_uid_even_after_the_last_record_is_removed()
    {
        var list = UidList.Parse("3 V5 N1 Gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n1 :a\n2 :b\n", NewValidity);
        list.RemoveWhere(r => r.BaseName == "b");

        var added = list.Assign(["c"]);

        Assert.Equal(3u, added.Single().Uid);
        Assert.StartsWith("3 V5 N4 ", list.Serialize(), StringComparison.Ordinal);
    }
}
