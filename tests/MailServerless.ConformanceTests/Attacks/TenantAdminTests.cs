using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using MailServerless.ConformanceTests.Relay;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// A domain admin reads the alias domains that point at their domain, but only the admin of the alias
/// (source) side may switch or delete the mapping.
/// </summary>
public sealed class TenantAdminTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync()
    {
        _server = await MailServerInstance.StartAsync();
        using var api = RelayScenario.AdminApi(_server);
        foreach (var domain in new[] { "a.test", "c.test" })
        {
            (await api.PostAsJsonAsync("api/domains", new { domain })).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("api/admins", new { username = $"admin@{domain}", password = "tenant password", domains = new[] { domain } })).EnsureSuccessStatusCode();
        }

        (await api.PostAsJsonAsync("api/alias-domains", new { aliasDomain = "c.test", targetDomain = "a.test" })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient As(string admin)
    {
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{admin}:tenant password")));
        return api;
    }

    [Fact]
    public async Task The_target_domains_admin_reads_the_mapping_but_cannot_switch_or_delete_it()
    {
        using var target = As("admin@a.test");

        Assert.Equal(HttpStatusCode.OK, (await target.GetAsync("api/alias-domains/c.test")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await target.PatchAsJsonAsync("api/alias-domains/c.test", new { active = false })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await target.DeleteAsync("api/alias-domains/c.test")).StatusCode);

        using var super = RelayScenario.AdminApi(_server);
        var mapping = await super.GetFromJsonAsync<System.Text.Json.JsonElement>("api/alias-domains/c.test");
        Assert.True(mapping.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task The_alias_domains_admin_may_switch_it()
    {
        using var source = As("admin@c.test");

        Assert.Equal(HttpStatusCode.OK, (await source.PatchAsJsonAsync("api/alias-domains/c.test", new { active = false })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await source.PatchAsJsonAsync("api/alias-domains/c.test", new { active = true })).StatusCode);
    }
}
