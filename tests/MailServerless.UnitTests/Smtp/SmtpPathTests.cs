using MailServerless.EdgeServer.Smtp.Parsing;

namespace MailServerless.UnitTests.Smtp;

public class SmtpPathTests
{
    [Theory]
    [InlineData("<user@example.jp>", "user@example.jp")]
    [InlineData("<@relay.example,@other.example:user@example.jp>", "user@example.jp")]
    [InlineData("<\"quoted > part\"@example.jp>", "\"quoted > part\"@example.jp")]
    [InlineData("user@example.jp", "user@example.jp")]
    [InlineData("<user@[192.0.2.1]>", "user@[192.0.2.1]")]
    [InlineData("<用户@例子.jp>", "用户@例子.jp")]
    public void Paths_are_parsed_to_their_mailbox(string text, string address)
    {
        Assert.True(SmtpPath.TryParse(text, allowNull: false, out var path, out _));
        Assert.Equal(address, path.Address);
    }

    [Fact]
    public void Null_path_and_parameters()
    {
        Assert.True(SmtpPath.TryParse("<> SIZE=1000 BODY=8BITMIME SMTPUTF8", allowNull: true, out var path, out _));

        Assert.True(path.IsNull);
        Assert.Equal("1000", path.Parameters["SIZE"]);
        Assert.Equal("8BITMIME", path.Parameters["body"]);
        Assert.Null(path.Parameters["SMTPUTF8"]);
    }

    [Theory]
    [InlineData("<>")]
    [InlineData("<user@example.jp")]
    [InlineData("<user example.jp>")]
    [InlineData("<@relay.example user@example.jp>")]
    [InlineData("<user@>")]
    [InlineData("<.user@example.jp>")]
    [InlineData("<us..er@example.jp>")]
    [InlineData("<user@-bad.jp>")]
    [InlineData("<user@example.jp> =BAD")]
    public void Malformed_paths_are_refused(string text)
    {
        Assert.False(SmtpPath.TryParse(text, allowNull: false, out _, out _));
    }
}
