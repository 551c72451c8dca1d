using System.Diagnostics;
using MailServerless.Core.Sieve;

namespace MailServerless.UnitTests.Sieve;

/// <summary>A hostile script cannot stall delivery or flood: regex cost, redirects, actions, variables and steps are bounded.</summary>
public sealed class SieveBoundsTests
{
    private const string Message = "From: a@example.com\r\nTo: b@example.jp\r\nSubject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\r\n\r\nbody\r\n";

    [Fact]
    public void Regex_bomb_is_matched_in_linear_time()
    {
        var script = "require [\"regex\", \"fileinto\"]; if header :regex \"subject\" \"^(a+)+$\" { fileinto \"x\"; }";
        var watch = Stopwatch.StartNew();
        var result = SieveRunner.Run(script, Message);
        Assert.Equal(["keep"], result.Lines());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the pattern ran for " + watch.Elapsed);
    }

    [Fact]
    public void Redirect_flood_stops_at_the_limit_and_falls_back_to_keep()
    {
        var script = string.Concat(Enumerable.Range(1, 10).Select(i => $"redirect \"r{i}@example.org\";\r\n"));
        var result = SieveRunner.Run(script, Message);
        Assert.Contains("more than 4 redirects", result.Error, StringComparison.Ordinal);
        Assert.Equal(["keep"], result.Lines());
    }

    [Fact]
    public void Wildcard_match_of_many_stars_stays_fast()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "*b";
        var script = $"require \"fileinto\"; if header :matches \"subject\" \"{pattern}\" {{ fileinto \"x\"; }}";
        var watch = Stopwatch.StartNew();
        Assert.Equal(["keep"], SieveRunner.Lines(script, Message));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the match ran for " + watch.Elapsed);
    }

    [Fact]
    public void Variable_values_are_capped()
    {
        var script = "require [\"variables\", \"fileinto\"]; set \"a\" \"0123456789\";" +
                     string.Concat(Enumerable.Repeat("set \"a\" \"${a}${a}\";", 20)) +
                     "set :length \"n\" \"${a}\"; fileinto \"${n}\";";
        Assert.Equal(["store 4096"], SieveRunner.Lines(script, Message));
    }

    [Fact]
    public void Too_many_steps_end_the_run_with_the_implicit_keep()
    {
        var script = "require \"fileinto\";" + string.Concat(Enumerable.Repeat("if true { }", 500)) + "fileinto \"x\";";
        var result = SieveRunner.Run(script, Message, limits: new SieveLimits { MaxSteps = 200 });
        Assert.Contains("steps", result.Error, StringComparison.Ordinal);
        Assert.Equal(["keep"], result.Lines());
    }
}
