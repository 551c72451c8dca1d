using MailServerless.Functions.Outbound.Security;

namespace MailServerless.UnitTests.Relay;

/// <summary>MTA-STS's TXT record and policy file as RFC 8461 §3.1–§3.2 write them, and its MX matching (§4.1).</summary>
public sealed class MtaStsPolicyTests
{
    [Theory]
    [InlineData("v=STSv1; id=20160831085700Z;", "20160831085700Z")]
    [InlineData("v=STSv1;id=abc", "abc")]
    [InlineData("v=STSv1; id=abc; ext=1", "abc")]
    [InlineData("v=STSv2; id=abc", null)]
    [InlineData("v=STSv1; id=", null)]
    [InlineData("v=STSv1; id=has-dash", null)]
    [InlineData("v=STSv1; id=123456789012345678901234567890123", null)]
    [InlineData("v=STSv1", null)]
    public void The_txt_record_gives_the_policy_id_only_when_it_is_well_formed(string record, string? id) =>
        Assert.Equal(id, MtaStsPolicy.IdFromTxt([record, "v=spf1 -all"]));

    [Fact]
    public void Two_sts_txt_records_mean_no_policy() =>
        Assert.Null(MtaStsPolicy.IdFromTxt(["v=STSv1; id=a", "v=STSv1; id=b"]));

    [Fact]
    public void The_rfc_example_policy_parses_with_lf_or_crlf_lines()
    {
        foreach (var end in new[] { "\n", "\r\n" })
        {
            var policy = MtaStsPolicy.Parse("1", string.Join(end, "version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net",
                "mx: backupmx.example.com", "max_age: 604800", "unknown: ignored"), out var error);
            Assert.Null(error);
            Assert.Equal(MtaStsMode.Enforce, policy!.Mode);
            Assert.Equal(["mail.example.com", "*.example.net", "backupmx.example.com"], policy.MxPatterns);
            Assert.Equal(TimeSpan.FromDays(7), policy.MaxAge);
        }
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 1", "version is not STSv1")]
    [InlineData("version: STSv1\nmx: a.example\nmax_age: 1", "no mode")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1", "unknown mode 'strict'")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1", "no mx")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1", "no valid max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example", "no valid max_age")]
    [InlineData("<html>not found</html>", "version is not STSv1")]
    public void A_broken_policy_is_refused_with_the_reason(string text, string reason)
    {
        Assert.Null(MtaStsPolicy.Parse("1", text, out var error));
        Assert.Equal(reason, error);
    }

    [Fact]
    public void Mode_none_needs_no_mx_and_max_age_is_capped_at_a_year()
    {
        var policy = MtaStsPolicy.Parse("1", "version: STSv1\nmode: none\nmax_age: 9999999999", out _);
        Assert.Equal(MtaStsMode.None, policy!.Mode);
        Assert.Equal(TimeSpan.FromSeconds(31_557_600), policy.MaxAge);
    }

    [Theory]
    [InlineData("mail.example.com", true)]
    [InlineData("MAIL.Example.COM.", true)]
    [InlineData("mx1.example.net", true)]
    [InlineData("example.net", false)]
    [InlineData("a.mx1.example.net", false)]
    [InlineData("evil-example.com", false)]
    [InlineData("mail.example.com.evil", false)]
    public void A_wildcard_stands_for_exactly_one_leftmost_label(string host, bool allowed)
    {
        var policy = new MtaStsPolicy("1", MtaStsMode.Enforce, ["mail.example.com", "*.example.net"], TimeSpan.FromDays(1));
        Assert.Equal(allowed, policy.Allows(host));
    }
}
