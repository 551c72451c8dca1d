using System.Text;
using MailServerless.Core.Storage;

namespace MailServerless.UnitTests.Storage;

public sealed class MailboxChangeNoticeTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("shared key");
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_notice_signed_with_the_key_names_its_folder()
    {
        var datagram = MailboxChangeNotice.Encode("example.jp/user1/.Work", Now, Key);
        Assert.Equal("example.jp/user1/.Work", MailboxChangeNotice.Decode(datagram, Now.AddSeconds(5), Key));
    }

    [Fact]
    public void Another_key_a_changed_byte_a_stale_time_or_garbage_is_dropped()
    {
        var datagram = MailboxChangeNotice.Encode("example.jp/user1", Now, Key);
        Assert.Null(MailboxChangeNotice.Decode(datagram, Now, Encoding.UTF8.GetBytes("other key")));
        var tampered = (byte[])datagram.Clone();
        tampered[10] ^= 1;
        Assert.Null(MailboxChangeNotice.Decode(tampered, Now, Key));
        Assert.Null(MailboxChangeNotice.Decode(datagram, Now.AddMinutes(2), Key));
        Assert.Null(MailboxChangeNotice.Decode(datagram, Now.AddMinutes(-2), Key));
        Assert.Null(MailboxChangeNotice.Decode(Encoding.UTF8.GetBytes("MSL1 0 x\n!!!"), Now, Key));
        Assert.Null(MailboxChangeNotice.Decode(new byte[4096], Now, Key));
        Assert.Null(MailboxChangeNotice.Decode([], Now, Key));
    }

    [Theory]
    [InlineData("example.jp/user1", "/srv/mail/example.jp/user1")]
    [InlineData("example.jp/user1/.Sent/", "/srv/mail/example.jp/user1/.Sent")]
    [InlineData("../etc", null)]
    [InlineData("example.jp/../../etc", null)]
    [InlineData("/etc/passwd", null)]
    [InlineData("", null)]
    public void A_folder_resolves_only_inside_the_store(string relative, string? expected) =>
        Assert.Equal(expected, MailboxChangeNotice.Resolve("/srv/mail", relative));
}
