using MailServerless.Core.Sieve;

namespace MailServerless.UnitTests.Sieve;

/// <summary>The grammar (RFC 5228 §8) and compile-time checks: errors name line and column.</summary>
public sealed class SieveParserTests
{
    [Fact]
    public void Strings_numbers_lists_comments_and_multiline_text_parse()
    {
        var commands = SieveParser.Parse("# comment\r\nrequire [\"fileinto\", \"vacation\"]; /* block\r\ncomment */\r\n" +
                                         "if size :over 1K { vacation :days 3 text:\r\nline one\r\n..dot\r\n.\r\n; }\r\n");
        Assert.Equal(["require", "if"], commands.Select(c => c.Name));
        var size = Assert.Single(commands[1].Tests);
        Assert.Equal(1024, Assert.IsType<SieveNumber>(size.Arguments[1]).Value);
        var vacation = Assert.Single(commands[1].Block!);
        Assert.Equal("line one\r\n.dot\r\n", Assert.IsType<SieveStrings>(vacation.Arguments[^1]).Values[0]);
    }

    [Theory]
    [InlineData("if true { keep; ", 1, 17)]
    [InlineData("keep\r\nstop;", 1, 1)] // "stop" is read as a test of keep, which takes none
    [InlineData("require \"nonesuch\";", 1, 1)]
    [InlineData("fileinto \"x\";", 1, 1)]
    [InlineData("require \"fileinto\";\r\nif header :frobnicate \"a\" \"b\" { }", 2, 11)]
    [InlineData("if true { keep; }\r\nelse keep;", 2, 1)]
    [InlineData("keep;\r\nrequire \"fileinto\";", 2, 1)]
    [InlineData("elsif true { }", 1, 1)]
    public void Compile_error_names_line_and_column(string script, int line, int column)
    {
        var error = Assert.Throws<SieveSyntaxException>(() => SieveScript.Compile(script));
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("if true { ", 40)) + "keep;" + new string('}', 40);
        Assert.Contains("nested deeper", Assert.Throws<SieveSyntaxException>(() => SieveScript.Compile(deep)).Message, StringComparison.Ordinal);
        var tests = "if " + string.Concat(Enumerable.Repeat("not ", 100)) + "true { keep; }";
        Assert.Contains("nested deeper", Assert.Throws<SieveSyntaxException>(() => SieveScript.Compile(tests)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_script_over_the_size_limit_is_refused()
    {
        var huge = "# " + new string('x', SieveParser.MaxScriptSize) + "\r\nkeep;";
        Assert.Contains("larger than", Assert.Throws<SieveSyntaxException>(() => SieveScript.Compile(huge)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoded_characters_are_decoded_when_required()
    {
        var commands = SieveScript.Compile("require [\"encoded-character\", \"fileinto\"]; fileinto \"${hex:41 42}${unicode:3042}\";");
        var result = commands.Run(new SieveMessage(new MimeKit.MimeMessage(), string.Empty, "a@b", 10));
        Assert.Equal("store ABあ", Assert.Single(result.Lines()));
    }
}
