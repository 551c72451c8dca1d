using MailServerless.Core.Sieve;

namespace MailServerless.UnitTests.Sieve;

/// <summary>enotify (RFC 5435) with the mailto method (RFC 5436): URIs, checks at compile and run time, duplicates.</summary>
public sealed class SieveNotifyTests
{
    private const string Message = "From: Alice <alice@example.com>\r\nSubject: hi\r\n\r\nbody\r\n";

    [Fact]
    public void Mailto_uri_gives_its_recipients_subject_body_and_safe_fields()
    {
        var (uri, error) = SieveMailto.Parse("mailto:a@example.org%2Cb@example.org?to=d@example.org&cc=c@example.org&subject=Hi%20there&body=L1%0D%0AL2&from=evil@example.net&X-Custom=%E6%97%A5");

        Assert.Null(error);
        Assert.Equal(["a@example.org", "b@example.org", "d@example.org"], uri!.To);
        Assert.Equal(["c@example.org"], uri.Cc);
        Assert.Equal("Hi there", uri.Subject);
        Assert.Equal("L1\r\nL2", uri.Body);
        Assert.Equal([("x-custom", "日")], uri.Headers); // From is the notifier's to write (RFC 5436 §2.4)
    }

    [Theory]
    [InlineData("mailto:a@example.org,b@example.org", "invalid character ','")]
    [InlineData("mailto:not an address", "invalid character ' '")]
    [InlineData("xmpp:a@example.org", "invalid method 'xmpp'")]
    [InlineData("mailto:?subject=x", "no recipients")]
    [InlineData("mailto:a@example.org?subject=%E6%9", "invalid header field")]
    [InlineData("mailto:nodomain", "invalid address 'nodomain'")]
    [InlineData("mailto:1@x.org%2C2@x.org%2C3@x.org%2C4@x.org%2C5@x.org%2C6@x.org%2C7@x.org%2C8@x.org%2C9@x.org", "more than 8 recipients")]
    public void Unusable_uris_are_refused_with_why(string uri, string why)
    {
        var (parsed, error) = SieveMailto.Parse(uri);

        Assert.Null(parsed);
        Assert.Contains(why, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Notify_reports_importance_subject_from_and_recipients()
    {
        var result = SieveRunner.Run("""
            require ["enotify", "variables"];
            if header :matches "from" "*" { set "who" "${1}"; }
            notify :importance "1" :from "Me <me@example.jp>" :message "Mail from ${who}" "mailto:alerts@example.org?subject=ignored";
            """, Message);

        var notify = Assert.IsType<SieveNotify>(Assert.Single(result.Actions));
        Assert.Equal("notify importance=1 subject=Mail from Alice <alice@example.com> from=Me <me@example.jp> to=alerts@example.org", notify.ToString());
        Assert.True(result.ImplicitKeep); // notify does not cancel the implicit keep
    }

    [Fact]
    public void A_recipient_already_notified_is_not_notified_again()
    {
        var result = SieveRunner.Run("""
            require "enotify";
            notify "mailto:a@example.org";
            notify "mailto:a@EXAMPLE.org%2Cb@example.org";
            notify "mailto:a@example.org?subject=again";
            """, Message);

        Assert.Equal(["notify importance=2 to=a@example.org", "notify importance=2 to=b@example.org", "keep"], result.Lines());
    }

    [Theory]
    [InlineData("notify \"xmpp:a@example.org\";", "line 2")]
    [InlineData("notify :importance \"4\" \"mailto:a@example.org\";", "importance")]
    [InlineData("notify :from \"not valid\" \"mailto:a@example.org\";", ":from")]
    [InlineData("notify :options [\"x\"] \"mailto:a@example.org\";", "option")]
    public void What_is_written_out_is_checked_at_compile_time(string command, string expected)
    {
        var error = Assert.Throws<SieveSyntaxException>(() => SieveScript.Compile("require \"enotify\";\n" + command + "\n"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_uri_made_by_variables_is_checked_at_run_time_and_the_message_kept()
    {
        var result = SieveRunner.Run("require [\"enotify\", \"variables\"];\nset \"u\" \"mailto:bad address\";\nnotify \"${u}\";\n", Message);

        Assert.NotNull(result.Error);
        Assert.Equal(["keep"], result.Lines());
    }

    [Fact]
    public void Method_tests_know_mailto_and_say_online_is_maybe()
    {
        var result = SieveRunner.Run("""
            require ["enotify", "fileinto"];
            if valid_notify_method ["mailto:a@example.org", "mailto:b@example.org"] { fileinto "valid"; }
            if valid_notify_method ["mailto:a@example.org", "xmpp:b@example.org"] { fileinto "mixed"; }
            if notify_method_capability "mailto:a@example.org" "ONLINE" "maybe" { fileinto "maybe"; }
            if notify_method_capability "mailto:a@example.org" "other" "maybe" { fileinto "other"; }
            """, Message);

        Assert.Equal(["store valid", "store maybe"], result.Lines());
    }

    [Fact]
    public void Encodeurl_needs_enotify()
    {
        Assert.Throws<SieveSyntaxException>(() => SieveScript.Compile("require \"variables\";\nset :encodeurl \"v\" \"a b\";\n"));
        var result = SieveRunner.Run("require [\"enotify\", \"variables\", \"fileinto\"];\nset :encodeurl \"v\" \"a b&é\";\nfileinto \"${v}\";\n", Message);
        Assert.Equal(["store a%20b%26%C3%A9"], result.Lines());
    }
}
