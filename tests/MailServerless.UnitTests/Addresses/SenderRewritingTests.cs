using System.Text;
using MailServerless.Core.Addresses;
using Microsoft.Extensions.Time.Testing;

namespace MailServerless.UnitTests.Addresses;

public sealed class SenderRewritingTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));

    private SenderRewriting Srs(string secret = "tops3cret", string domain = "mx.example.jp") => new(Encoding.UTF8.GetBytes(secret), domain, _clock);

    [Theory]
    [InlineData("alice@remote.example")]
    [InlineData("Mixed.Case+tag@Sub.Example.ORG")]
    [InlineData("a=b@x.example")]
    public void A_rewritten_sender_is_ours_and_turns_back_into_the_original(string sender)
    {
        var rewritten = Srs().Forward(sender);

        Assert.StartsWith("SRS0=", rewritten, StringComparison.Ordinal);
        Assert.EndsWith("@mx.example.jp", rewritten, StringComparison.Ordinal);
        Assert.True(Srs().IsRewritten(rewritten));
        Assert.Equal(sender, Srs().Reverse(rewritten));
        // A mail system may fold the case of the whole address; the hash is compared without case.
        Assert.Equal(sender, Srs().Reverse(rewritten.ToUpperInvariant()), ignoreCase: true);
    }

    [Fact]
    public void A_forged_or_foreign_hash_is_refused()
    {
        var rewritten = Srs().Forward("alice@remote.example");
        var fields = rewritten.Split('=');
        fields[1] = fields[1] == "AAAA" ? "BBBB" : "AAAA";

        Assert.Null(Srs().Reverse(string.Join('=', fields)));
        Assert.Null(Srs("another secret").Reverse(rewritten));
        Assert.Null(Srs().Reverse("SRS0=AAAA=JW=remote.example@mx.example.jp"));
        Assert.Null(Srs().Reverse("alice@mx.example.jp"));
    }

    [Fact]
    public void An_address_older_than_21_days_is_refused()
    {
        var rewritten = Srs().Forward("alice@remote.example");
        _clock.Advance(TimeSpan.FromDays(21));
        Assert.Equal("alice@remote.example", Srs().Reverse(rewritten));
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Null(Srs().Reverse(rewritten));
    }

    [Fact]
    public void Another_forwarders_SRS0_becomes_SRS1_which_turns_back_into_their_SRS0()
    {
        var theirs = Srs("their secret", "fwd.example").Forward("alice@remote.example");

        var ours = Srs().Forward(theirs);

        Assert.StartsWith("SRS1=", ours, StringComparison.Ordinal);
        Assert.Contains("=fwd.example==", ours, StringComparison.Ordinal);
        Assert.Equal(theirs, Srs().Reverse(ours));
        Assert.Equal("alice@remote.example", Srs("their secret", "fwd.example").Reverse(Srs().Reverse(ours)!));
        // An SRS1 forwarded again keeps the first hop and is signed afresh.
        var again = Srs("third", "third.example").Forward(ours);
        Assert.Equal(ours.Split('@')[0][10..], again.Split('@')[0][10..]);
    }
}
