using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.AliasDomains;

/// <summary>Alias domains: every address of one domain delivered to the same local part of another.</summary>
public sealed class AliasDomainsModel(Core.Administration.AliasDomains aliasDomains) : ConsoleListPage<AliasDomainView>
{
    [ApiOperation("GET /api/alias-domains")]
    public async Task OnGetAsync() =>
        List = await aliasDomains.ListAsync(Actor, ListRequest(), HttpContext.RequestAborted);
}
