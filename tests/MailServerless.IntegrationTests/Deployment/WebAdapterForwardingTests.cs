using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Deployment;

/// <summary>
/// The admin API on Lambda sees every request from the Web Adapter on loopback. API Gateway's HTTP API puts the
/// client it saw last in <c>X-Forwarded-For</c> (after whatever the client sent itself) and says
/// <c>X-Forwarded-Proto: https</c>; the template trusts the adapter's address, so each client is throttled and
/// logged on its own, and a client cannot pick the address it is blamed under.
/// </summary>
public sealed class WebAdapterForwardingTests
{
    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(Repository.Root, "template.yaml"));

    /// <summary>A request as the Lambda Web Adapter hands on what API Gateway (payload 2.0) received.</summary>
    private static HttpRequestMessage FromApiGateway(MailServerInstance server, string client, string password, string? sentByClient = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Http}/api/domains");
        request.Headers.Host = "a1b2c3d4e5.execute-api.ap-northeast-1.amazonaws.com";
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin@example.jp:{password}")));
        request.Headers.Add("X-Forwarded-For", sentByClient is null ? client : $"{sentByClient}, {client}");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Port", "443");
        request.Headers.Add("X-Amzn-Trace-Id", $"Root=1-{Guid.NewGuid():N}");
        request.Headers.Add("X-Amzn-Request-Context", $$"""{"http":{"method":"GET","path":"/api/domains","protocol":"HTTP/1.1","sourceIp":"{{client}}"},"stage":"$default"}""");
        request.Headers.Add("X-Amzn-Lambda-Context", """{"request_id":"0f5e7c1a","deadline":1800000000000,"invoked_function_arn":"arn:aws:lambda:ap-northeast-1:123456789012:function:admin-api"}""");
        return request;
    }

    [Fact]
    public async Task Each_client_api_gateway_names_is_throttled_and_logged_on_its_own_and_cannot_choose_its_address()
    {
        // The admin function's own listener settings, as the template gives them.
        var environment = new TemplateEvaluator(Template, new Dictionary<string, string>()).Environment("AdminApiFunction");
        Assert.Equal("Api", environment["Mail__Mode"]);
        var trusted = environment["Mail__Listeners__TrustedProxies"];
        Assert.Equal("127.0.0.1", trusted);

        await using var server = await MailServerInstance.StartAsync($"--Mail:Listeners:TrustedProxies={trusted}", "--Mail:Auth:MaxFailuresPerAddress=3");
        using var http = new HttpClient();

        // Three wrong passwords from one client, each with a different address of its own making in front.
        for (var i = 0; i < 3; i++)
        {
            var wrong = await http.SendAsync(FromApiGateway(server, "203.0.113.7", "wrong", sentByClient: $"192.0.2.{i + 1}"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.SendAsync(FromApiGateway(server, "203.0.113.7", MailServerInstance.Password, "192.0.2.99"))).StatusCode);
        // Everyone else, the admins included, goes on working: one address is blocked, not the adapter's.
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(FromApiGateway(server, "198.51.100.4", MailServerInstance.Password))).StatusCode);

        Assert.Equal(3, await server.WaitForOutputAsync("api authentication failed from [203.0.113.7] user=admin@example.jp"));
        Assert.Equal(1, await server.WaitForOutputAsync("client [203.0.113.7] blocked after 3 failed logins"));
        Assert.DoesNotContain("from [192.0.2.", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("from [127.0.0.1]", server.Output, StringComparison.Ordinal);
    }
}
