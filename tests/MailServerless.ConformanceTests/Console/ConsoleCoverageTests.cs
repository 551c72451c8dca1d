using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using MailServerless.EdgeServer.WebConsole;
using MailServerless.Testing;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Razor.Hosting;

namespace MailServerless.ConformanceTests.Console;

/// <summary>
/// Every operation of the admin API (as its OpenAPI document lists it) is something the console does: a page handler
/// says which operation it performs, and that page answers a superadmin at its route.
/// </summary>
public sealed class ConsoleCoverageTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_admin_api_operation_has_a_console_page_that_does_it_and_every_such_page_answers()
    {
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        var document = JsonDocument.Parse(await api.GetStringAsync("openapi/v1.json")).RootElement;
        var operations = document.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("GET /api/domains", operations);
        Assert.Contains("PUT /api/mailboxes/{address}/vacation", operations);

        var pages = ConsolePages();
        var handled = pages.SelectMany(p => p.Handlers.Select(h => h.Operation)).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(operations.Except(handled).Order());   // an API operation the console cannot do
        Assert.Empty(handled.Except(operations).Order());   // a handler naming an operation the API does not have

        // Each page doing an operation answers a superadmin at its route (a made-up queued message is not found).
        using var session = await ConsoleSession.LogInAsync(_server.Http, "admin@example.jp", MailServerInstance.Password);
        foreach (var page in pages.Where(p => p.Handlers.Count > 0))
        {
            var url = page.Route
                .Replace("{domain}", "example.jp", StringComparison.Ordinal).Replace("{address?}", "user1@example.jp", StringComparison.Ordinal)
                .Replace("{address}", "user1@example.jp", StringComparison.Ordinal).Replace("{domain?}", "example.jp", StringComparison.Ordinal)
                .Replace("{aliasDomain?}", "example.com", StringComparison.Ordinal).Replace("{username?}", "admin@example.jp", StringComparison.Ordinal)
                .Replace("{queue}", "inbound", StringComparison.Ordinal).Replace("{id}", "no-such-message", StringComparison.Ordinal);
            var response = await session.Client.GetAsync(url);
            var expected = page.Route.Contains("{id}", StringComparison.Ordinal) ? HttpStatusCode.NotFound : HttpStatusCode.OK;
            Assert.True(response.StatusCode == expected, $"{url} ({page.Model.Name}): {(int)response.StatusCode}");
        }
    }

    private sealed record ConsolePage(Type Model, string Route, IReadOnlyList<ApiOperationAttribute> Handlers);

    /// <summary>The console's pages as compiled: each page's model, its route (<c>@page "..."</c>) and its handlers' operations.</summary>
    private static List<ConsolePage> ConsolePages()
    {
        var assembly = typeof(ConsoleHosting).Assembly;
        var pages = new List<ConsolePage>();
        foreach (var item in assembly.GetCustomAttributes<RazorCompiledItemAttribute>().Where(i => i.Kind == "mvc.1.0.razor-page"))
        {
            var route = item.Type.GetCustomAttributes<RazorCompiledItemMetadataAttribute>().SingleOrDefault(m => m.Key == "RouteTemplate")?.Value;
            var model = item.Type.GetProperty("Model")?.PropertyType;
            if (route is null || model is null || !model.IsAssignableTo(typeof(PageModel)))
            {
                continue;
            }

            var handlers = model.GetMethods().SelectMany(m => m.GetCustomAttributes<ApiOperationAttribute>()).ToList();
            pages.Add(new ConsolePage(model, route.StartsWith('/') ? route : "/" + route, handlers));
        }

        Assert.NotEmpty(pages);
        return pages;
    }
}

/// <summary>A console login over plain HTTP (the form, its antiforgery token, the session cookie), for requests without a browser.</summary>
internal sealed class ConsoleSession : IDisposable
{
    private ConsoleSession(HttpClient client) => Client = client;

    public HttpClient Client { get; }

    public static async Task<ConsoleSession> LogInAsync(int port, string user, string password)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
        };
        var form = await client.GetStringAsync("login");
        var token = TokenOf(form);
        using var body = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Username"] = user, ["Password"] = password, ["__RequestVerificationToken"] = token,
        });
        var answer = await client.PostAsync("login", body);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return new ConsoleSession(client);
    }

    /// <summary>The antiforgery token a page's form carries.</summary>
    public static string TokenOf(string html)
    {
        const string marker = "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"";
        var start = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "the page has no antiforgery token");
        start += marker.Length;
        return html[start..html.IndexOf('"', start)];
    }

    public void Dispose() => Client.Dispose();
}
