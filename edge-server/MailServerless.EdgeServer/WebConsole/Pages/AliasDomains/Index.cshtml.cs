using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.AliasDomains;

/// <summary>Alias domains: every address of one domain delivered to the same local part of another.</summary>
public sealed class AliasDomainsModel(Core.Administration.AliasDomains aliasDomains) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public Page<AliasDomainView> List { get; private set; } = new([], 0, 0, 1);

    [ApiOperation("GET /api/alias-domains")]
    public async Task OnGetAsync() =>
        List = await aliasDomains.ListAsync(Actor, new PageRequest(Math.Max(0, Offset), PageSize, null, Search), HttpContext.RequestAborted);
}
