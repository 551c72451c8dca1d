using MailServerless.Core.Authentication;

namespace MailServerless.UnitTests.Authentication;

/// <summary>DMARC (RFC 7489 §6.6) over a table of DNS answers: where the policy is found, alignment, sp/np/pct.</summary>
public sealed class DmarcEvaluatorTests
{
    private static readonly PublicSuffixList Suffixes = PublicSuffixList.FromRules("com", "co.uk");

    [Fact]
    public async Task Aligned_dkim_pass_under_relaxed_alignment_passes()
    {
        var outcome = await EvaluateAsync(
            new() { ["_dmarc.example.com"] = "v=DMARC1; p=reject" }, "example.com", Dkim("mail.example.com"), spf: null);
        Assert.Equal(AuthResult.Pass, outcome.Result);
    }

    [Fact]
    public async Task Strict_dkim_alignment_needs_the_same_domain()
    {
        var outcome = await EvaluateAsync(
            new() { ["_dmarc.example.com"] = "v=DMARC1; p=reject; adkim=s" }, "example.com", Dkim("mail.example.com"), spf: null);
        Assert.Equal(AuthResult.Fail, outcome.Result);
        Assert.Equal(DmarcPolicy.Reject, outcome.Disposition);
    }

    [Fact]
    public async Task Spf_pass_for_an_aligned_mail_from_passes()
    {
        var spf = new SpfOutcome(AuthResult.Pass, "mailfrom", "bounce.example.com", "x@bounce.example.com");
        var outcome = await EvaluateAsync(new() { ["_dmarc.example.com"] = "v=DMARC1; p=quarantine" }, "example.com", [], spf);
        Assert.Equal(AuthResult.Pass, outcome.Result);
    }

    [Fact]
    public async Task Subdomain_uses_the_organizational_policy_and_its_sp()
    {
        var outcome = await EvaluateAsync(
            new() { ["_dmarc.example.com"] = "v=DMARC1; p=reject; sp=quarantine" }, "news.example.com", Dkim("other.com"), spf: null);
        Assert.Equal(AuthResult.Fail, outcome.Result);
        Assert.Equal(DmarcPolicy.Quarantine, outcome.Disposition);
    }

    [Fact]
    public async Task Nonexistent_subdomain_uses_np()
    {
        var outcome = await EvaluateAsync(
            new() { ["_dmarc.example.com"] = "v=DMARC1; p=none; np=reject" }, "ghost.example.com", [], spf: null);
        Assert.Equal(DmarcPolicy.Reject, outcome.Disposition);
    }

    [Fact]
    public async Task Message_not_sampled_by_pct_gets_the_next_policy_down()
    {
        var outcome = await EvaluateAsync(
            new() { ["_dmarc.example.com"] = "v=DMARC1; p=reject; pct=10" }, "example.com", [], spf: null, percentile: 50);
        Assert.Equal(DmarcPolicy.Quarantine, outcome.Disposition);
    }

    [Fact]
    public async Task No_record_is_none_and_a_failed_lookup_is_temperror()
    {
        Assert.Equal(AuthResult.None, (await EvaluateAsync([], "example.com", [], spf: null)).Result);
        Assert.Equal(AuthResult.TempError, (await EvaluateAsync(new() { ["_dmarc.example.com"] = null }, "example.com", [], spf: null)).Result);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject", true)]
    [InlineData("v=DMARC1;p=quarantine;pct=50", true)]
    [InlineData("p=reject; v=DMARC1", false)]
    [InlineData("v=spf1 -all", false)]
    public void Record_must_start_with_its_version(string text, bool valid) => Assert.Equal(valid, DmarcRecord.TryParse(text, out _));

    private static DkimOutcome[] Dkim(string domain) => [new DkimOutcome(AuthResult.Pass, domain, "s", "b")];

    private static Task<DmarcOutcome> EvaluateAsync(
        Dictionary<string, string?> txt, string author, DkimOutcome[] dkim, SpfOutcome? spf, int percentile = 0) =>
        new DmarcEvaluator(new TxtTable(txt), Suffixes, () => percentile).EvaluateAsync([author], spf, dkim, CancellationToken.None);
}
