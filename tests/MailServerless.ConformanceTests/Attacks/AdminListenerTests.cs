using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using MailServerless.ConformanceTests.Relay;
using MailServerless.Testing;
using Microsoft.Data.Sqlite;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// The admin HTTP listener: on loopback whatever the mail ports bind to, HTTPS with the mail certificate,
/// no credentials over plain HTTP from other hosts, the client named only by trusted proxies (for the
/// throttle and the log), answers that no cache keeps, and a mailbox row with an unsafe maildir that can be
/// looked at and removed without a server error.
/// </summary>
public sealed class AdminListenerTests
{
    private const string Proxy = "127.0.0.1";

    private static HttpRequestMessage Get(MailServerInstance server, string path, string? forwardedFor = null, string? forwardedProto = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Http}/{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin@example.jp:{MailServerInstance.Password}")));
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }

        return request;
    }

    private static async Task<bool> ConnectsAsync(string address, int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Parse(address), port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task The_admin_listener_stays_on_loopback_when_the_mail_ports_listen_everywhere()
    {
        await using var server = await MailServerInstance.StartAsync("--Mail:Listeners:Address=0.0.0.0");

        // 127.0.0.2 reaches what listens on all addresses, not what listens on 127.0.0.1 alone.
        Assert.True(await ConnectsAsync("127.0.0.2", server.Smtp));
        Assert.False(await ConnectsAsync("127.0.0.2", server.Http));
        Assert.True(await ConnectsAsync("127.0.0.1", server.Http));
        Assert.Contains($"Listening: http http://127.0.0.1:{server.Http}", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_over_plain_HTTP_from_another_host_are_refused_unless_a_trusted_proxy_says_https_or_a_setting_allows_it()
    {
        await using var server = await MailServerInstance.StartAsync($"--Mail:Listeners:TrustedProxies={Proxy}");
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Get(server, "api/domains"))).StatusCode); // loopback itself
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(Get(server, "api/domains", "203.0.113.7"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Get(server, "api/domains", "203.0.113.7", "https"))).StatusCode);
        Assert.Equal(1, await server.WaitForOutputAsync("api login over plain HTTP refused from [203.0.113.7]"));

        await using var allowing = await MailServerInstance.StartAsync($"--Mail:Listeners:TrustedProxies={Proxy}", "--Mail:Listeners:AllowPlainHttpLogin=true");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Get(allowing, "api/domains", "203.0.113.7"))).StatusCode);
    }

    [Fact]
    public async Task The_client_a_trusted_proxy_names_is_throttled_and_logged_and_an_untrusted_one_is_ignored()
    {
        await using var server = await MailServerInstance.StartAsync(
            $"--Mail:Listeners:TrustedProxies={Proxy}", "--Mail:Listeners:AllowPlainHttpLogin=true", "--Mail:Auth:MaxFailuresPerAddress=3");
        using var http = new HttpClient();
        static HttpRequestMessage Wrong(MailServerInstance to, string client)
        {
            var request = Get(to, "api/domains", client);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin@example.jp:wrong")));
            return request;
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(Wrong(server, "203.0.113.9"))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.SendAsync(Get(server, "api/domains", "203.0.113.9"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Get(server, "api/domains", "198.51.100.4"))).StatusCode);
        Assert.Equal(3, await server.WaitForOutputAsync("api authentication failed from [203.0.113.9] user=admin@example.jp"));
        Assert.Equal(1, await server.WaitForOutputAsync("client [203.0.113.9] blocked after 3 failed logins"));

        // Without a trusted proxy the header names no one: the connection's own address counts.
        await using var plain = await MailServerInstance.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(Wrong(plain, "203.0.113.50"))).StatusCode);
        Assert.Equal(1, await plain.WaitForOutputAsync("api authentication failed from [127.0.0.1] user=admin@example.jp"));
    }

    [Fact]
    public async Task Answers_are_not_cached_or_sniffed_and_name_no_server()
    {
        await using var server = await MailServerInstance.StartAsync();
        using var api = RelayScenario.AdminApi(server);

        foreach (var response in new[]
                 {
                     await api.PostAsJsonAsync("api/keys", new { name = "shown once" }),
                     await api.GetAsync("api/domains"),
                     await api.GetAsync("health"),
                     await new HttpClient().GetAsync($"http://127.0.0.1:{server.Http}/api/domains"),
                 })
        {
            Assert.True(response.Headers.CacheControl?.NoStore, response.RequestMessage?.RequestUri?.ToString());
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.False(response.Headers.Contains("Server"));
        }
    }

    [Fact]
    public async Task HTTPS_serves_the_api_with_the_mail_certificate()
    {
        var https = EdgeServerProcess.FreePort();
        await using var server = await MailServerInstance.StartAsync($"--Mail:Listeners:Https={https}");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var api = new HttpClient(handler);
        var request = Get(server, "api/domains");
        request.RequestUri = new Uri($"https://127.0.0.1:{https}/api/domains");

        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(request)).StatusCode);
        Assert.Contains($"Listening: https https://127.0.0.1:{https}", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mailbox_whose_maildir_leaves_the_store_answers_409_and_can_be_deleted_without_touching_files()
    {
        await using var server = await MailServerInstance.StartAsync();
        using var api = RelayScenario.AdminApi(server);
        var outside = Path.Combine(server.DataDirectory, "outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "keep"), "not mail");
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "directory.db")}"))
        {
            await db.OpenAsync();
            await using var update = db.CreateCommand();
            update.CommandText = "UPDATE mailbox SET maildir = '../outside/' WHERE username = 'user5@example.jp'";
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        var get = await api.GetAsync("api/mailboxes/user5@example.jp");
        Assert.Equal(HttpStatusCode.Conflict, get.StatusCode);
        Assert.Contains("unsafe", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("api/mailboxes/user5@example.jp?removeMaildir=true")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("api/mailboxes/user5@example.jp")).StatusCode);
        Assert.True(File.Exists(Path.Combine(outside, "keep")));
    }
}
