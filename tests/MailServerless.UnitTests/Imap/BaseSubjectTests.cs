using MailServerless.EdgeServer.Imap.Search;

namespace MailServerless.UnitTests.Imap;

/// <summary>The base subject of RFC 5256 §2.1, step by step.</summary>
public sealed class BaseSubjectTests
{
    [Theory]
    [InlineData("Plans", "Plans", false)]
    [InlineData("Re: Plans", "Plans", true)]
    [InlineData("RE: [list] Re: Plans", "Plans", true)]
    [InlineData("Fwd: Old news (fwd)", "Old news", true)]
    [InlineData("Fw : Plans", "Plans", true)]
    [InlineData("Re[2]: Plans", "Plans", true)]
    [InlineData("[Fwd: Re: Plans]", "Plans", true)]
    [InlineData("[list] [other] Plans", "Plans", false)]
    [InlineData("[only a blob]", "[only a blob]", false)]
    [InlineData("[a] [b]", "[b]", false)]
    [InlineData("Re:", "", true)]
    [InlineData("  spaced \t  out  ", "spaced out", false)]
    [InlineData("=?UTF-8?Q?Re=3A_caf=C3=A9?=", "café", true)]
    [InlineData("Research", "Research", false)]
    public void Leaders_trailers_blobs_and_fwd_wrappers_come_off(string subject, string expected, bool replyOrForward)
    {
        Assert.Equal(expected, BaseSubject.Of(subject, out var reply));
        Assert.Equal(replyOrForward, reply);
    }

    [Fact]
    public void A_long_run_of_leaders_and_blobs_is_taken_off_in_linear_time()
    {
        var hostile = string.Concat(Enumerable.Repeat("Re: [x] ", 20_000)) + "end" + string.Concat(Enumerable.Repeat(" (fwd)", 20_000));
        Assert.Equal("end", BaseSubject.Of(hostile, out _));
    }
}
