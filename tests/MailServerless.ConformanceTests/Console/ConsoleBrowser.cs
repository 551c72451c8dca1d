using Microsoft.Playwright;

namespace MailServerless.ConformanceTests.Console;

/// <summary>
/// Headless Chromium (Debian's, installed by the test command) driven by Playwright: one browser for a test class,
/// a fresh context (cookies, language) for each scenario.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    /// <summary>Debian's Chromium; Playwright's own browser download is not used.</summary>
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Nothing reaches out to Google's services from a test machine.
            Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary>A new page in a new context, asking for <paramref name="locale"/> (its <c>Accept-Language</c>).</summary>
    public async Task<IPage> NewPageAsync(int port, string locale = "en-US", int width = 1200)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = $"http://127.0.0.1:{port}",
            Locale = locale,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary>
    /// With <c>MSL_CONSOLE_SCREENSHOTS=1</c> in the environment, saves the page as <c>docs/console/{name}.png</c> for
    /// docs/console.md; otherwise (in CI) does nothing. Japanese pages need a Japanese font (<c>fonts-ipafont-gothic</c>).
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (Environment.GetEnvironmentVariable("MSL_CONSOLE_SCREENSHOTS") != "1")
        {
            return;
        }

        var folder = Path.Combine(MailServerless.Testing.Repository.Root, "docs", "console");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    /// <summary>Logs in through the login form and waits for the page it leads to.</summary>
    public static async Task LogInAsync(IPage page, string user, string password)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/login");
        await page.Locator("#Username").FillAsync(user);
        await page.Locator("#Password").FillAsync(password);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
    }
}
