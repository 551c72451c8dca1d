using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Domains;

/// <summary>The domains an admin manages, with their use against PostfixAdmin's limits.</summary>
public sealed class DomainsModel(Core.Administration.Domains domains) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public Page<DomainView> List { get; private set; } = new([], 0, 0, 1);

    [ApiOperation("GET /api/domains")]
    public async Task OnGetAsync() =>
        List = await domains.ListAsync(Actor, new PageRequest(Math.Max(0, Offset), PageSize, null, Search), HttpContext.RequestAborted);
}
