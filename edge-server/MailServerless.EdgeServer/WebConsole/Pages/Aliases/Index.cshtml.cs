using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Aliases;

/// <summary>The aliases (not mailboxes' own rows) of the domains an admin manages.</summary>
public sealed class AliasesModel(Core.Administration.Aliases aliases) : ConsoleListPage<AliasView>
{
    [ApiOperation("GET /api/aliases")]
    public async Task OnGetAsync()
    {
        List = await aliases.ListAsync(Actor, ListRequest(), HttpContext.RequestAborted);
    }
}
