using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Api;

/// <summary>With the default 10 s directory cache, a change through the API counts at once on the same server.</summary>
public sealed class ApiChangesTakeEffectTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_password_changed_and_a_mailbox_made_through_the_api_count_at_once_for_logins_and_delivery()
    {
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin@example.jp:{MailServerInstance.Password}")));
        await LoginAsync("user1@example.jp", MailServerInstance.Password); // now in the cache
        // Mail to an address that does not exist yet puts a negative lookup in the cache.
        var early = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--to", "late@example.jp", "--from", "a@remote.example"]);
        Assert.NotEqual(0, early.ExitCode);

        Assert.Equal(HttpStatusCode.NoContent, (await api.PutAsJsonAsync("api/mailboxes/user1@example.jp/password", new { password = "changed at once" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("api/mailboxes", new { address = "late@example.jp", password = "late password", quota = 1000000 })).StatusCode);

        await LoginAsync("user1@example.jp", "changed at once");
        var welcome = await _server.WaitForMessageAsync("late", "Subject: Welcome", TimeSpan.FromSeconds(8));
        Assert.Contains("late@example.jp", welcome, StringComparison.Ordinal);
    }

    private async Task LoginAsync(string user, string password)
    {
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Imaps, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync(user, password);
        await client.DisconnectAsync(true);
    }
}
