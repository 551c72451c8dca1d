using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Domains;

/// <summary>The domains an admin manages, with their use against PostfixAdmin's limits.</summary>
public sealed class DomainsModel(Core.Administration.Domains domains) : ConsoleListPage<DomainView>
{
    [ApiOperation("GET /api/domains")]
    public async Task OnGetAsync() =>
        List = await domains.ListAsync(Actor, ListRequest(), HttpContext.RequestAborted);
}
