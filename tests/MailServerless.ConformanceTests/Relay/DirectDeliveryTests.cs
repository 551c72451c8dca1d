using System.Net.Http.Json;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Relay;

/// <summary>
/// Direct delivery: MX records from a loopback DNS server (dnsmasq) lead to an SMTP sink listening as the
/// MX; a domain that does not exist bounces at once (as Postfix does), one whose MX has no address is
/// retried and bounced when the message's lifetime is over.
/// </summary>
public sealed class DirectDeliveryTests
{
    private static Task<LoopbackDns> DnsAsync() => LoopbackDns.StartAsync(
        "--mx-host=remote.test,mx.remote.test,10", "--host-record=mx.remote.test,127.0.0.1",
        "--mx-host=nowhere.test,mx.nowhere.test,10",
        // We (mx.example.jp) are the best MX of loop.test: sending there would come back to us.
        "--mx-host=loop.test,mx.example.jp,10", "--mx-host=loop.test,mx.remote.test,20");

    private static Task<MailServerInstance> StartAsync(SmtpSink sink, LoopbackDns dns, params string[] settings) => MailServerInstance.StartAsync(
        ["--Mail:Relay:Mode=Direct", $"--Mail:Relay:Port={sink.Port}", $"--Mail:Dns:Servers={dns.Server}", .. settings]);

    [Fact]
    public async Task Mail_reaches_the_sink_listening_as_the_domains_mx_and_a_domain_that_does_not_exist_bounces_at_once()
    {
        await using var dns = await DnsAsync();
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink, dns);
        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test,ghost@nxdomain.test,someone@loop.test", "straight to the mx");

        var dump = await sink.WaitForMessageAsync("straight to the mx");
        Assert.Contains("X-Rcpt-Args: <friend@remote.test>", dump, StringComparison.Ordinal);
        Assert.DoesNotContain("nxdomain.test>", dump, StringComparison.Ordinal);
        Assert.Contains("DKIM-Signature:", dump, StringComparison.Ordinal);
        await RelayScenario.WaitForLogAsync(server, "relay=mx.remote.test[127.0.0.1]");

        Assert.DoesNotContain("loop.test>", dump, StringComparison.Ordinal);

        var (report, _) = await RelayScenario.BounceAsync(server, "user1", "Undelivered Mail Returned to Sender");
        var groups = report.OfType<MimeKit.MessageDeliveryStatus>().Single().StatusGroups.Where(g => g.Contains("Final-Recipient")).ToDictionary(g => g["Final-Recipient"]!);
        Assert.Equal(2, groups.Count);
        Assert.Equal("5.4.4", groups["rfc822; ghost@nxdomain.test"]["Status"]);
        Assert.Contains("Host or domain name not found", groups["rfc822; ghost@nxdomain.test"]["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.Equal("5.4.6", groups["rfc822; someone@loop.test"]["Status"]);
        Assert.Contains("loops back to myself", groups["rfc822; someone@loop.test"]["Diagnostic-Code"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_to_a_domain_whose_mx_has_no_address_is_retried_and_bounced_when_its_lifetime_is_over()
    {
        await using var dns = await DnsAsync();
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink, dns, "--Mail:Queue:MaxLifetime=00:00:04");
        await RelayScenario.SubmitAsync(server, "user1", "someone@nowhere.test", "nowhere to go");

        var (_, recipient) = await RelayScenario.BounceAsync(server, "user1", "Undelivered Mail Returned to Sender");
        Assert.Equal("rfc822; someone@nowhere.test", recipient["Final-Recipient"]);
        Assert.Equal("failed", recipient["Action"]);
        Assert.Equal("4.4.4", recipient["Status"]);
        Assert.Contains("delivery time expired", recipient["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.Contains("to=<someone@nowhere.test> relay=- status=deferred", server.Output, StringComparison.Ordinal);
        Assert.Empty(sink.Messages());
    }

    [Fact]
    public async Task A_rotated_key_starts_signing_once_its_record_is_found_in_dns()
    {
        string[] zone = ["--mx-host=remote.test,mx.remote.test,10", "--host-record=mx.remote.test,127.0.0.1"];
        await using var dns = await LoopbackDns.StartAsync(zone);
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await StartAsync(sink, dns, "--Mail:Dkim:PublishedCheckInterval=00:00:00");
        using var api = RelayScenario.AdminApi(server);
        var state = await (await api.PostAsJsonAsync("api/domains/example.jp/dkim/rotate", new { algorithm = "Ed25519" }))
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var pending = state.GetProperty("pending");
        var (name, txt) = (pending.GetProperty("name").GetString()!, pending.GetProperty("value").GetString()!);

        await dns.RestartAsync([.. zone, $"--txt-record={name},{txt}"]);
        await RelayScenario.SubmitAsync(server, "user1", "friend@remote.test", "after publishing");

        var message = RelayScenario.Parse(await sink.WaitForMessageAsync("after publishing"));
        Assert.True(await RelayScenario.DkimVerifiesAsync(message, name, txt), message.Headers[MimeKit.HeaderId.DkimSignature]);
        Assert.Equal((name, txt), await RelayScenario.DkimRecordAsync(server));
    }
}
