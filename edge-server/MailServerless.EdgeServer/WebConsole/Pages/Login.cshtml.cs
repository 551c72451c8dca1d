using MailServerless.EdgeServer.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace MailServerless.EdgeServer.WebConsole.Pages;

/// <summary>
/// Login with an admin's address and password, or a mailbox's address and mail password: the same check, the same
/// throttle and the same fail2ban line as the API (<c>console authentication failed from [client] user=...</c>).
/// </summary>
public sealed class LoginModel(PasswordLogin login, IStringLocalizer<ConsoleText> text) : PageModel
{
    [BindProperty]
    public string? Username { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!login.MayTakeCredentials(HttpContext))
        {
            ModelState.AddModelError(string.Empty, text["Login.NeedsTls"]);
            return Page();
        }

        // A field left blank binds as null.
        var (result, actor) = await login.LogInAsync(HttpContext.ClientAddress(), Username ?? string.Empty, Password ?? string.Empty, "console", HttpContext.RequestAborted);
        Password = null;
        if (result != PasswordLoginResult.Succeeded)
        {
            ModelState.AddModelError(string.Empty, text[result switch
            {
                PasswordLoginResult.Throttled => "Login.Throttled",
                PasswordLoginResult.DirectoryUnavailable => "Login.DirectoryDown",
                _ => "Login.Failed",
            }]);
            return Page();
        }

        // A new session cookie each time (no session fixation); it lives while requests keep coming (IdleTimeout).
        await HttpContext.SignInAsync(ConsoleHosting.Scheme, ConsoleSessions.Principal(actor!), new AuthenticationProperties { IsPersistent = false });
        return LocalRedirect(ReturnUrl is not null && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }
}
