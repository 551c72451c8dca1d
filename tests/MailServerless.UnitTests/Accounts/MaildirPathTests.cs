using MailServerless.Core.Accounts;

namespace MailServerless.UnitTests.Accounts;

public class MaildirPathTests
{
    [Theory]
    [InlineData("example.jp/user1/")]
    [InlineData("example.jp/user1")]
    [InlineData("example.jp/first.last/")]
    public void Relative_paths_inside_the_base_are_accepted(string maildir)
    {
        Assert.True(MaildirPath.IsValid(maildir, out var reason), reason);
    }

    [Theory]
    [InlineData("/var/spool/virtual/example.jp/user1/", "absolute")]
    [InlineData("../etc/", "'..'")]
    [InlineData("example.jp/../../etc/", "'..'")]
    [InlineData("example.jp/./user/", "'.'")]
    [InlineData("", "empty")]
    [InlineData("example.jp\\user", "backslash")]
    [InlineData("example.jp/us\0er/", "control")]
    public void Paths_that_escape_or_are_malformed_are_refused(string maildir, string reason)
    {
        Assert.False(MaildirPath.IsValid(maildir, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void Layout_is_domain_then_local_part_as_postfixadmin_writes_it()
    {
        Assert.Equal("example.jp/user1/", MaildirPath.ForAddress("user1", "example.jp"));
    }

    [Theory]
    [InlineData("a/b", "example.jp")]
    [InlineData("..", "example.jp")]
    [InlineData("user", "..")]
    public void Local_parts_that_would_build_a_path_are_refused(string local, string domain)
    {
        Assert.Throws<ArgumentException>(() => MaildirPath.ForAddress(local, domain));
    }
}
