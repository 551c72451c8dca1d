using MailServerless.Core.Storage;

namespace MailServerless.UnitTests.Storage;

public class MaildirFileNameTests
{
    [Fact]
    public void Dovecot_delivered_name_gives_sizes_and_no_flags()
    {
        var name = MaildirFileName.Parse("1795915848.M860653P20279.vm,S=143,W=151");

        Assert.Equal(143, name.Size);
        Assert.Equal(151, name.VirtualSize);
        Assert.Equal(MessageFlags.None, name.Flags);
        Assert.Equal("1795915848.M860653P20279.vm,S=143,W=151", name.BaseName);
    }

    [Theory]
    [InlineData("1.M1P1.h,S=10:2,S", MessageFlags.Seen, "")]
    [InlineData("1.M1P1.h,S=10:2,DFPRST", MessageFlags.Draft | MessageFlags.Flagged | MessageFlags.Passed | MessageFlags.Answered | MessageFlags.Seen | MessageFlags.Deleted, "")]
    [InlineData("1.M1P1.h:2,Sba", MessageFlags.Seen, "ab")]
    [InlineData("1.M1P1.h:2,", MessageFlags.None, "")]
    public void Flags_and_keyword_letters_are_read_after_the_info_separator(string file, MessageFlags flags, string keywords)
    {
        var name = MaildirFileName.Parse(file);

        Assert.Equal(flags, name.Flags);
        Assert.Equal(keywords, name.KeywordLetters);
    }

    [Fact]
    public void Cur_name_lists_flags_in_ascii_order_then_keywords()
    {
        var name = MaildirFileName.Parse("1.M1P1.h,S=5,W=6").WithFlags(MessageFlags.Seen | MessageFlags.Draft | MessageFlags.Answered, "ca");

        Assert.Equal("1.M1P1.h,S=5,W=6:2,DRSac", name.CurName);
    }

    [Fact]
    public void Delivery_order_compares_seconds_microseconds_and_sequence_as_numbers()
    {
        string[] names = ["1700000001.M5P1Q1.h", "1700000000.M123456P9Q2.h", "1700000000.M23456P9Q10.h", "1700000000.M23456P9Q9.h", "999999999.M1P1.h"];

        var ordered = names.Order(MaildirFileName.DeliveryOrder).ToArray();

        Assert.Equal(["999999999.M1P1.h", "1700000000.M23456P9Q9.h", "1700000000.M23456P9Q10.h", "1700000000.M123456P9Q2.h", "1700000001.M5P1Q1.h"], ordered);
    }

    [Fact]
    public void Name_without_sizes_has_none()
    {
        var name = MaildirFileName.Parse("1234567890.12345_1.host");

        Assert.Null(name.Size);
        Assert.Null(name.VirtualSize);
    }

    [Fact]
    public void New_unique_names_differ_and_escape_slash_and_colon_in_the_host()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1234560);
        var first = MaildirFileName.NewUniqueBase("mail/host:1", now);
        var second = MaildirFileName.NewUniqueBase("mail/host:1", now);

        Assert.NotEqual(first, second);
        Assert.StartsWith("1700000000.M123456P", first, StringComparison.Ordinal);
        Assert.EndsWith(".mail\\057host\\0721", first, StringComparison.Ordinal);
        Assert.DoesNotContain(':', first);
    }
}
