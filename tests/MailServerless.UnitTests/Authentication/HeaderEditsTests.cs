using System.Text;
using MailServerless.Functions;

namespace MailServerless.UnitTests.Authentication;

/// <summary>The edge's header edits applied to a stored message: removals (folded fields too), then additions on top.</summary>
public sealed class HeaderEditsTests
{
    [Fact]
    public async Task Our_authserv_id_results_are_removed_folded_or_not_and_others_kept()
    {
        var message = "Received: from a\r\n\tby b\r\nAuthentication-Results: mx.example.jp;\r\n\tdkim=pass header.d=paypal.com\r\n" +
                      "Authentication-Results: other.example; spf=pass\r\nauthentication-results:  (comment) MX.EXAMPLE.JP; dmarc=pass\r\n" +
                      "Subject: hi\r\n\r\nAuthentication-Results: mx.example.jp; in the body stays\r\n";
        var result = await ApplyAsync(message, "Authentication-Results: mx.example.jp; spf=none\r\n", ["Authentication-Results:mx.example.jp"]);
        Assert.Equal(
            "Return-Path: <a@b>\r\nAuthentication-Results: mx.example.jp; spf=none\r\nReceived: from a\r\n\tby b\r\n" +
            "Authentication-Results: other.example; spf=pass\r\nSubject: hi\r\n\r\nAuthentication-Results: mx.example.jp; in the body stays\r\n",
            result);
    }

    [Fact]
    public async Task Named_fields_are_removed_in_any_case_with_or_without_a_body()
    {
        var result = await ApplyAsync("X-Spam: Yes\r\nx-rspamd-score: -9\r\nSubject: s\r\n", null, ["X-Spam", "X-Rspamd-Score"]);
        Assert.Equal("Return-Path: <a@b>\r\nSubject: s\r\n", result);
        var withBody = await ApplyAsync("X-Spam: Yes\nSubject: s\n\nbody\n", null, ["X-Spam"]);
        Assert.Equal("Return-Path: <a@b>\r\nSubject: s\n\nbody\n", withBody);
    }

    private static async Task<string> ApplyAsync(string message, string? added, string[] removed)
    {
        await using var stream = await HeaderEdits.ApplyAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(message)), "Return-Path: <a@b>\r\n", added, removed, CancellationToken.None);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
