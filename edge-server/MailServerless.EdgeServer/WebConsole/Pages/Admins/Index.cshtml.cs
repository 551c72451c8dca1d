using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Admins;

/// <summary>The admins and their domains (a superadmin's page).</summary>
public sealed class AdminsModel(Core.Administration.Admins admins) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public Page<AdminView> List { get; private set; } = new([], 0, 0, 1);

    [ApiOperation("GET /api/admins")]
    public async Task OnGetAsync() =>
        List = await admins.ListAsync(Actor, new PageRequest(Math.Max(0, Offset), PageSize, null, Search), HttpContext.RequestAborted);
}
