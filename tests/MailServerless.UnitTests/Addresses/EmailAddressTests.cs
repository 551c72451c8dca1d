using MailServerless.Core.Addresses;

namespace MailServerless.UnitTests.Addresses;

public class EmailAddressTests
{
    [Theory]
    [InlineData("User1@Example.JP", "user1", "example.jp")]
    [InlineData("  info@example.jp  ", "info", "example.jp")]
    [InlineData("a@例え.jp", "a", "xn--r8jz45g.jp")]
    [InlineData("\"odd@local\"@example.jp", "\"odd@local\"", "example.jp")]
    [InlineData("trailing@example.jp.", "trailing", "example.jp")]
    public void Parse_lowercases_and_converts_idn_domains_to_ascii(string text, string local, string domain)
    {
        var address = EmailAddress.Parse(text);

        Assert.Equal(local, address.LocalPart);
        Assert.Equal(domain, address.Domain);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-at-sign")]
    [InlineData("@example.jp")]
    [InlineData("user@")]
    [InlineData("us er@example.jp")]
    [InlineData("user@exa mple.jp")]
    [InlineData("user@-bad-.jp")]
    public void Invalid_addresses_are_refused(string text)
    {
        Assert.False(EmailAddress.TryParse(text, out _));
    }

    [Fact]
    public void Catch_all_key_parses_only_when_allowed()
    {
        Assert.True(EmailAddress.TryParse("@Example.jp", out var key, allowEmptyLocalPart: true));
        Assert.Equal("@example.jp", key.Value);
    }

    [Theory]
    [InlineData("café@example.jp", true)]
    [InlineData("山田@example.jp", false)]
    public void Addresses_outside_latin1_are_flagged(string text, bool fits)
    {
        Assert.Equal(fits, EmailAddress.Parse(text).FitsLatin1);
    }
}
