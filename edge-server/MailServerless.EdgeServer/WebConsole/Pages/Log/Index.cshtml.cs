using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Log;

/// <summary>PostfixAdmin's log of changes, newest first, narrowed to a domain and searched.</summary>
public sealed class LogModel(AdministrationLog log) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Domain { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public Page<LogEntry> List { get; private set; } = new([], 0, 0, 1);

    [ApiOperation("GET /api/log")]
    public async Task<IActionResult> OnGetAsync()
    {
        Domain = string.IsNullOrWhiteSpace(Domain) ? null : Domain.Trim();
        // A domain that does not read is said beside the filter; one the admin does not manage is a 403.
        await TryAsync(async () => List = await log.ListAsync(Actor, new PageRequest(Math.Max(0, Offset), PageSize, Domain, Search), HttpContext.RequestAborted));
        return Page();
    }
}
