using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Aliases;

/// <summary>The aliases (not mailboxes' own rows) of the domains an admin manages.</summary>
public sealed class AliasesModel(Core.Administration.Aliases aliases) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Domain { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public Page<AliasView> List { get; private set; } = new([], 0, 0, 1);

    [ApiOperation("GET /api/aliases")]
    public async Task OnGetAsync()
    {
        Domain = string.IsNullOrWhiteSpace(Domain) ? null : Domain;
        List = await aliases.ListAsync(Actor, new PageRequest(Math.Max(0, Offset), PageSize, Domain, Search), HttpContext.RequestAborted);
    }
}
