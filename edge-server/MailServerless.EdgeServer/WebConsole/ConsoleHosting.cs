using System.Globalization;
using MailServerless.Core.Configuration;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Options;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// The web console: Razor Pages under <c>WebConsole/Pages</c>, served at <c>/</c> of the HTTP listener beside the
/// admin API, over the same <c>MailServerless.Core.Administration</c> services. Sessions are cookies (HttpOnly,
/// SameSite=Strict, Secure over TLS) that end after <see cref="ConsoleOptions.IdleTimeout"/> without a request; every
/// form carries an antiforgery token; pages are in English or Japanese.
/// </summary>
public static class ConsoleHosting
{
    public const string Scheme = "console";
    public static readonly string[] Languages = ["en", "ja"];

    /// <summary>
    /// No inline script or style, nothing from elsewhere, no framing: what a page can run is the console's own
    /// <c>/console.js</c>, so text that slipped through encoding still could not run.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'";

    public static IServiceCollection AddWebConsole(this IServiceCollection services)
    {
        services.AddLocalization();
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/WebConsole/Pages";
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AllowAnonymousToPage("/Language");
        }).AddMvcOptions(o =>
        {
            o.Filters.Add<ConsoleSessionFilter>();
            // Fields are checked by the administration services (their messages are the API's); no English "is required" of MVC's own.
            o.SuppressImplicitRequiredAttributeForNonNullableReferenceTypes = true;
        });
        services.AddOptions<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>().Configure<MailOptions>((o, mail) =>
        {
            o.Cookie.Name = "msl_notice";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = SecurePolicy(mail);
        });
        services.AddSingleton<ConsoleSessions>();
        services.AddAuthentication(Scheme).AddCookie(Scheme);
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<ConsoleOptions, MailOptions>((o, console, mail) =>
        {
            o.Cookie.Name = "msl_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = SecurePolicy(mail);
            o.ExpireTimeSpan = console.IdleTimeout;
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.Events.OnValidatePrincipal = c =>
            {
                // The cookie is renewed as requests come (its IssuedUtc moves); the login's own time does not.
                if (ConsoleSessions.LoggedInAt(c.Principal) is not { } login || DateTimeOffset.UtcNow - login > console.SessionLifetime)
                {
                    c.RejectPrincipal();
                }

                return Task.CompletedTask;
            };
            // A page the actor may not see is a 403, not a redirect to a login they already have.
            o.Events.OnRedirectToAccessDenied = c =>
            {
                c.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        services.AddAntiforgery();
        services.AddOptions<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>().Configure<MailOptions>((o, mail) =>
        {
            o.Cookie.Name = "msl_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = SecurePolicy(mail);
            o.FormFieldName = "__RequestVerificationToken";
        });
        services.AddDataProtection().SetApplicationName("MailServerless");
        // The keys live with the directory, beside the password hashes and DKIM private keys it already guards;
        // sealing them with a key kept elsewhere would only move the secret, so they are stored as they are.
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new DirectoryKeyRing(sp.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>());
            o.XmlEncryptor = new Microsoft.AspNetCore.DataProtection.XmlEncryption.NullXmlEncryptor();
        }));
        // Japanese and every other script written as characters, not as &#x...; (HTML-encoding still escapes <, >, &, quotes).
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        return services;
    }

    public static void UseWebConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use((context, next) =>
        {
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.XFrameOptions = "DENY";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
        var cultures = Languages.Select(l => new CultureInfo(l)).ToList();
        app.UseRequestLocalization(new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture("en"),
            SupportedCultures = cultures,
            SupportedUICultures = cultures,
        });
        app.UseAuthentication();
        app.UseAuthorization();
    }

    public static void MapWebConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapRazorPages();
        ConsoleAssets.Map(app);
    }

    /// <summary>
    /// Cookies are Secure on a request that came over TLS; and always when <c>Mail:Listeners:AllowPlainHttpLogin</c> says
    /// a proxy in front terminates TLS (the browser then speaks HTTPS, though this host sees HTTP).
    /// </summary>
    private static CookieSecurePolicy SecurePolicy(MailOptions mail) =>
        mail.Listeners.AllowPlainHttpLogin ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

    /// <summary>True when this process serves the console (the API's modes, unless <c>Mail:Console:Enabled</c> is off).</summary>
    public static bool Serves(IServiceProvider services) =>
        services.GetRequiredService<ConsoleOptions>().Enabled && ServerModes.Parse(services.GetRequiredService<MailOptions>().Mode).ServesApi();
}
