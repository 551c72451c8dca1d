using MailServerless.Core.Authentication;

namespace MailServerless.UnitTests.Authentication;

/// <summary>DMARC's organizational domain (RFC 7489 §3.2) from the shipped Public Suffix List.</summary>
public sealed class PublicSuffixListTests
{
    private static readonly PublicSuffixList List = PublicSuffixList.Load("/nonexistent");

    [Theory]
    [InlineData("mail.example.com", "example.com")]
    [InlineData("example.com", "example.com")]
    [InlineData("a.b.example.co.uk", "example.co.uk")]
    [InlineData("www.example.co.jp", "example.co.jp")]
    [InlineData("foo.bar.ck", "foo.bar.ck")] // *.ck: bar.ck is a public suffix
    [InlineData("a.www.ck", "www.ck")] // !www.ck: an exception, so www.ck is registrable
    [InlineData("city.kobe.jp", "city.kobe.jp")] // !city.kobe.jp
    [InlineData("com", "com")]
    [InlineData("host.unknown-tld-zz", "host.unknown-tld-zz")] // the implicit rule "*"
    [InlineData("MAIL.Example.COM.", "example.com")]
    public void Organizational_domain_is_the_public_suffix_and_one_label(string domain, string expected) =>
        Assert.Equal(expected, List.OrganizationalDomain(domain));

    [Fact]
    public void Shipped_copy_is_read_when_the_system_has_none() =>
        Assert.StartsWith("shipped copy of 20", List.Source, StringComparison.Ordinal);

    [Fact]
    public void A_newer_system_copy_is_read_instead()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "// test\ncom\nexample.com\n");
            var list = PublicSuffixList.Load(path);
            Assert.Equal(path, list.Source);
            Assert.Equal("mail.example.com", list.OrganizationalDomain("a.mail.example.com"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
