using MailServerless.Core.Sieve;

namespace MailServerless.UnitTests.Sieve;

/// <summary>A hostile script cannot stall delivery or flood: regex cost, redirects, actions, variables and steps are bounded.</summary>
public sealed class SieveBoundsTests
{
    private const string Message = "From: a@example.com\r\nTo: b@example.jp\r\nSubject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\r\n\r\nbody\r\n";

    [Fact]
    public void Regex_bomb_is_matched_by_the_non_backtracking_engine()
    {
        // The work is bounded by construction: the engine is linear in the input whatever the pattern.
        var regex = new SieveMatch("regex", null, "i;ascii-casemap").CreateRegex("^(a+)+$");
        Assert.NotNull(regex);
        Assert.True(regex.Options.HasFlag(System.Text.RegularExpressions.RegexOptions.NonBacktracking));
        var script = "require [\"regex\", \"fileinto\"]; if header :regex \"subject\" \"^(a+)+$\" { fileinto \"x\"; }";
        Assert.Equal(["keep"], SieveRunner.Run(script, Message).Lines());
        Assert.Equal(["store x"], SieveRunner.Run(script, Message.Replace("a!", "a", StringComparison.Ordinal)).Lines());
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
    public void Wildcard_match_of_many_stars_gives_the_right_answer()
    {
        // :matches is a table over (pattern token, position): at most 401 × 120 cells here, never a backtracking search,
        // which on this pattern would not end in the lifetime of the test run.
        var pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "*b";
        var script = $"require \"fileinto\"; if header :matches \"subject\" \"{pattern}\" {{ fileinto \"x\"; }}";
        Assert.Equal(["keep"], SieveRunner.Lines(script, Message));
        var fewer = string.Concat(Enumerable.Repeat("*a", 50)) + "*!";
        Assert.Equal(["store x"], SieveRunner.Lines($"require \"fileinto\"; if header :matches \"subject\" \"{fewer}\" {{ fileinto \"x\"; }}", Message));
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
