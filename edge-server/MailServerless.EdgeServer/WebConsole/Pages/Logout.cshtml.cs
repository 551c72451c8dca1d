using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages;

/// <summary>Ends the session (a POST with the antiforgery token, so no other site can log anyone out).</summary>
public sealed class LogoutModel : ConsolePage
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(ConsoleHosting.Scheme);
        return Redirect("/login");
    }
}
