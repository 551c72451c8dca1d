using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages;

/// <summary>The console's front door: admins start at their domains, owners at their mailbox.</summary>
public sealed class IndexModel : ConsolePage
{
    public IActionResult OnGet() =>
        Redirect(IsAdmin ? "/domains" : "/mailbox/" + Uri.EscapeDataString(Actor.OwnMailbox!));
}
