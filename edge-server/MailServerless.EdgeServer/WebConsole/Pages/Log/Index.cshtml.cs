using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Log;

/// <summary>PostfixAdmin's log of changes, newest first, narrowed to a domain and searched.</summary>
public sealed class LogModel(AdministrationLog log) : ConsoleListPage<LogEntry>
{
    [ApiOperation("GET /api/log")]
    public async Task<IActionResult> OnGetAsync()
    {
        // A domain that does not read is said beside the filter; one the admin does not manage is a 403.
        await TryAsync(async () => List = await log.ListAsync(Actor, ListRequest(), HttpContext.RequestAborted));
        return Page();
    }
}
