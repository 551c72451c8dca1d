using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Admins;

/// <summary>The admins and their domains (a superadmin's page).</summary>
public sealed class AdminsModel(Core.Administration.Admins admins) : ConsoleListPage<AdminView>
{
    [ApiOperation("GET /api/admins")]
    public async Task OnGetAsync() =>
        List = await admins.ListAsync(Actor, ListRequest(), HttpContext.RequestAborted);
}
