using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;
using Microsoft.Playwright;

namespace MailServerless.ConformanceTests.Console;

/// <summary>
/// The web console in a real browser (headless Chromium through Playwright) against the real server: what an admin, a
/// domain admin and a mailbox owner do there, in English and Japanese, and what it refuses.
/// </summary>
public sealed class WebConsoleTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>, IAsyncLifetime
{
    private const string Admin = "admin@example.jp";
    private MailServerInstance _server = null!;

    // Five rows a page, so that the test directory's six mailboxes of example.jp take two pages.
    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync("--Mail:Console:PageSize=5");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_superadmin_adds_a_domain_a_mailbox_and_an_alias_and_sees_the_dns_check()
    {
        var page = await browser.NewPageAsync(_server.Http);
        await ConsoleBrowser.LogInAsync(page, Admin, MailServerInstance.Password);
        Assert.EndsWith("/domains", page.Url, StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Link, new() { Name = "Add a domain" }).ClickAsync();
        await page.GetByLabel("Domain", new() { Exact = true }).FillAsync("shop.example");
        await page.GetByLabel("Description").FillAsync("The shop");
        await page.GetByLabel("Largest mailbox quota").FillAsync("1G");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("shop.example");

        await page.GotoAsync("/mailboxes?domain=shop.example");
        await page.GetByRole(AriaRole.Link, new() { Name = "Add a mailbox" }).ClickAsync();
        await page.GetByLabel("Address").FillAsync("anna@shop.example");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("anna's password");
        await page.GetByLabel("The new password again").FillAsync("anna's password");
        await page.GetByLabel("Name").FillAsync("Anna");
        await page.GetByLabel("Quota", new() { Exact = true }).FillAsync("100M");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("anna@shop.example");
        await ConsoleBrowser.ScreenshotAsync(page, "mailbox");

        // An alias to nowhere is refused with the API's message beside the field; fixed, it is saved.
        await page.GotoAsync("/aliases/edit?domain=shop.example");
        await page.GetByLabel("Address").FillAsync("sales@shop.example");
        await page.GetByLabel("Delivered to").FillAsync("not an address");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var error = page.Locator("#Input_Goto ~ span.error");
        await Expect(error).Not.ToBeEmptyAsync();
        await page.GetByLabel("Delivered to").FillAsync("anna@shop.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");

        // What the console made is what the API sees.
        using var api = Api(Admin, MailServerInstance.Password);
        var mailbox = await JsonAsync(await api.GetAsync("api/mailboxes/anna@shop.example"));
        Assert.Equal(102_400_000, mailbox.GetProperty("quota").GetInt64());
        var alias = await JsonAsync(await api.GetAsync("api/aliases/sales@shop.example"));
        Assert.Equal(["anna@shop.example"], alias.GetProperty("goto").EnumerateArray().Select(g => g.GetString()));

        await page.GotoAsync("/domains?search=shop");
        await page.GetByRole(AriaRole.Row, new() { Name = "shop.example" }).GetByRole(AriaRole.Link, new() { Name = "DNS check" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("DNS check for shop.example");
        await ConsoleBrowser.ScreenshotAsync(page, "dns-check");
        foreach (var record in new[] { "MX", "SPF", "DKIM", "DMARC", "MTA-STS", "TLS-RPT" })
        {
            await Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = record, Exact = true })).ToBeVisibleAsync();
        }

        var dkim = await JsonAsync(await api.GetAsync("api/domains/shop.example/dkim"));
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "DKIM" }).Locator("code.record")).ToHaveTextAsync(dkim.GetProperty("value").GetString()!);
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "SPF" }).Locator("code.record")).ToHaveTextAsync("v=spf1 mx -all");
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "SPF" }).GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Lists_are_paginated_and_searchable()
    {
        var page = await browser.NewPageAsync(_server.Http);
        await ConsoleBrowser.LogInAsync(page, Admin, MailServerInstance.Password);
        await page.GotoAsync("/mailboxes?domain=example.jp");
        var rows = page.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(5);
        await ConsoleBrowser.ScreenshotAsync(page, "mailboxes");
        await page.GetByRole(AriaRole.Link, new() { Name = "Next" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(page.GetByText("6–6 of 6")).ToBeVisibleAsync();

        await page.GetByLabel("Search").FillAsync("user3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("user3@example.jp");
    }

    [Fact]
    public async Task A_login_works_with_the_keyboard_alone_and_the_pages_fit_a_phones_width()
    {
        var page = await browser.NewPageAsync(_server.Http, width: 375);
        await page.GotoAsync("/login");
        // The address field has the focus; Tab goes on to the password, Enter sends the form.
        await page.Keyboard.TypeAsync(Admin);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(MailServerInstance.Password);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/domains");

        // The first Tab reaches the link past the menu.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to the content", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));

        foreach (var url in new[] { "/domains", "/mailboxes?domain=example.jp", "/domains/example.jp/dns", "/mailbox/user1@example.jp", "/mailboxes/edit/user1@example.jp", "/aliases", "/log" })
        {
            await page.GotoAsync(url);
            // Wide tables scroll inside their own box; the page itself does not.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{url} is wider than a phone");
        }
    }

    [Fact]
    public async Task A_domain_admin_sees_only_their_domain_and_direct_urls_to_another_are_refused()
    {
        using var api = Api(Admin, MailServerInstance.Password);
        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "other.example" }), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsJsonAsync("api/admins", new { username = "boss@other.example", password = "boss password", domains = new[] { "other.example" } }),
            HttpStatusCode.Created);

        var page = await browser.NewPageAsync(_server.Http);
        await ConsoleBrowser.LogInAsync(page, "boss@other.example", "boss password");
        await Expect(page.Locator("tbody th")).ToHaveTextAsync(["other.example"]);
        await Expect(Menu(page).GetByRole(AriaRole.Link, new() { Name = "Admins" })).ToHaveCountAsync(0);

        foreach (var url in new[]
                 {
                     "/domains/edit/example.jp", "/domains/example.jp/dns", "/domains/example.jp/dkim", "/mailboxes?domain=example.jp",
                     "/mailboxes/edit/user1@example.jp", "/mailbox/user1@example.jp", "/mailbox/user1@example.jp/vacation",
                     "/aliases/edit/info@example.jp", "/alias-domains/edit/example.com", "/admins", "/keys", "/queue", "/log?domain=example.jp",
                     "/mailboxes/edit/nobody@nowhere.example",
                 })
        {
            var response = await page.GotoAsync(url);
            Assert.True(response!.Status is 403 or 404, $"{url}: {response.Status}");
        }

        // Of their own domain they change the description; the limits are shown, for a superadmin to change.
        await page.GotoAsync("/domains/edit/other.example");
        await Expect(page.GetByLabel("Mailboxes at most")).ToBeDisabledAsync();
        await page.GetByLabel("Description").FillAsync("Ours");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        Assert.Equal("Ours", (await JsonAsync(await api.GetAsync("api/domains/other.example"))).GetProperty("description").GetString());

        // Their own password is theirs to change; nothing else of their admin row is.
        await Menu(page).GetByRole(AriaRole.Link, new() { Name = "My password" }).ClickAsync();
        await Expect(page.GetByLabel("Superadmin")).ToBeDisabledAsync();
        await page.GetByLabel("New password (empty keeps the current one)").FillAsync("boss's new password");
        await page.GetByLabel("The new password again").FillAsync("boss's new password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        using (var boss = Api("boss@other.example", "boss's new password"))
        {
            await JsonAsync(await boss.GetAsync("api/domains"));
            await JsonAsync(await boss.PatchAsJsonAsync("api/admins/boss@other.example", new { superadmin = true }), HttpStatusCode.Forbidden);
        }

        // A change posted to another domain's page is refused too, and changes nothing.
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var posted = await page.APIRequest.PostAsync("/mailboxes/edit/user1@example.jp?handler=Delete",
            new() { Form = FormOf(page, ("__RequestVerificationToken", token!)) });
        Assert.Equal(403, posted.Status);
        await JsonAsync(await api.GetAsync("api/mailboxes/user1@example.jp"));
    }

    [Fact]
    public async Task A_user_changes_their_password_and_then_logs_in_over_imap_with_it()
    {
        var page = await browser.NewPageAsync(_server.Http);
        await ConsoleBrowser.LogInAsync(page, "user3@example.jp", MailServerInstance.Password);
        Assert.EndsWith("/mailbox/user3%40example.jp", page.Url, StringComparison.Ordinal);
        await ConsoleBrowser.ScreenshotAsync(page, "owner-overview");
        await Menu(page).GetByRole(AriaRole.Link, new() { Name = "Password", Exact = true }).ClickAsync();
        // The current password first: a wrong one changes nothing.
        await page.GetByLabel("Current password").FillAsync("not my password");
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("a new secret 3");
        await page.GetByLabel("The new password again").FillAsync("a new secret 3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change the password" }).ClickAsync();
        await Expect(page.Locator("#Input_Current ~ span.error")).ToHaveTextAsync("The current password is wrong.");
        await page.GetByLabel("Current password").FillAsync(MailServerInstance.Password);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("a new secret 3");
        await page.GetByLabel("The new password again").FillAsync("a new secret 3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change the password" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The password is changed.");

        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", _server.Imap, SecureSocketOptions.StartTls);
        await Assert.ThrowsAsync<AuthenticationException>(() => imap.AuthenticateAsync("user3@example.jp", MailServerInstance.Password));
        await imap.AuthenticateAsync("user3@example.jp", "a new secret 3");
        Assert.True(imap.IsAuthenticated);
        await imap.DisconnectAsync(true);
    }

    [Fact]
    public async Task A_user_sets_vacation_and_an_smtp_message_gets_the_reply()
    {
        var page = await browser.NewPageAsync(_server.Http);
        await ConsoleBrowser.LogInAsync(page, "user4@example.jp", MailServerInstance.Password);
        await Menu(page).GetByRole(AriaRole.Link, new() { Name = "Vacation" }).ClickAsync();
        await page.GetByLabel("Answer mail automatically").CheckAsync();
        await page.GetByLabel("Subject").FillAsync("Away until Monday");
        await page.GetByLabel("Message").FillAsync("I read mail again on Monday.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        await Expect(page.GetByLabel("Answer mail automatically")).ToBeCheckedAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "vacation");

        await _server.DeliverAsync("user4", "are you there");
        Assert.True(await _server.WaitForVacationReplyAsync("user4@example.jp"));
    }

    [Fact]
    public async Task Japanese_is_shown_for_accept_language_ja_and_the_switch_changes_it()
    {
        var page = await browser.NewPageAsync(_server.Http, "ja-JP");
        await page.GotoAsync("/login");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ja");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("ログイン");
        await ConsoleBrowser.LogInAsync(page, Admin, MailServerInstance.Password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("ドメイン");
        await ConsoleBrowser.ScreenshotAsync(page, "domains-ja");
        await Expect(Menu(page).GetByRole(AriaRole.Link, new() { Name = "メールボックス" })).ToBeVisibleAsync();

        await page.GetByLabel("言語").SelectOptionAsync("en");
        await page.GetByRole(AriaRole.Button, new() { Name = "切り替え" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Domains");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
    }

    [Fact]
    public async Task A_form_posted_without_the_antiforgery_token_is_refused()
    {
        var page = await browser.NewPageAsync(_server.Http);
        await ConsoleBrowser.LogInAsync(page, Admin, MailServerInstance.Password);

        // The session cookie alone, as a forged cross-site form would carry it: refused, nothing made.
        var forged = await page.APIRequest.PostAsync("/domains/edit?handler=Save",
            new() { Form = FormOf(page, ("Input.Domain", "forged.example"), ("Input.Active", "true")) });
        Assert.Equal(400, forged.Status);
        var wrongToken = await page.APIRequest.PostAsync("/domains/edit?handler=Save",
            new() { Form = FormOf(page, ("Input.Domain", "forged.example"), ("__RequestVerificationToken", "CfDJ8forged")) });
        Assert.Equal(400, wrongToken.Status);
        using var api = Api(Admin, MailServerInstance.Password);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("api/domains/forged.example")).StatusCode);

        // The session cookie is out of scripts' and other sites' reach.
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "msl_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.Equal(-1, session.Expires); // a session cookie; the server ends it after the idle time
    }

    [Fact]
    public async Task An_xss_payload_in_a_name_is_shown_as_text()
    {
        const string payload = "<script>window.xss=1</script><img src=x onerror=\"window.xss=2\">";
        var page = await browser.NewPageAsync(_server.Http);
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => dialogs.Add(dialog.Message);
        await ConsoleBrowser.LogInAsync(page, Admin, MailServerInstance.Password);
        await page.GotoAsync("/mailboxes/edit/user5@example.jp");
        await page.GetByLabel("Name").FillAsync(payload);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");

        await page.GotoAsync("/mailboxes?domain=example.jp&search=user5");
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "user5@example.jp" }).Locator("td").First).ToHaveTextAsync(payload);
        Assert.Equal(0, await page.Locator("tbody img, tbody script").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.xss === undefined"));
        Assert.Empty(dialogs);
        var html = await page.ContentAsync();
        Assert.Contains("&lt;script&gt;window.xss=1&lt;/script&gt;", html, StringComparison.Ordinal);
    }

    private HttpClient Api(string user, string password)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static IFormData FormOf(IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }

    /// <summary>The main menu in the page's header.</summary>
    private static ILocator Menu(IPage page) => page.Locator("header nav");

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
