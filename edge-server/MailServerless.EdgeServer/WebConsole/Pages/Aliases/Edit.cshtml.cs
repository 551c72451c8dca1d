using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Aliases;

/// <summary>An alias and where it goes (one address per line), checked as the API checks it (loops, unknown targets).</summary>
public sealed class AliasEditModel(Core.Administration.Aliases aliases) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Address { get; set; }

    [BindProperty]
    public AliasForm Input { get; set; } = new();

    public bool IsNew => string.IsNullOrEmpty(Address);

    [ApiOperation("GET /api/aliases/{address}")]
    public async Task OnGetAsync(string? domain)
    {
        if (IsNew)
        {
            Actor.EnsureAdmin();
            Input.Address = domain is null ? string.Empty : "@" + domain;
            return;
        }

        var alias = await aliases.GetAsync(Actor, Address!, HttpContext.RequestAborted);
        Input = new AliasForm { Address = alias.Address, Goto = string.Join('\n', alias.Goto), Active = alias.Active };
    }

    [ApiOperation("POST /api/aliases")]
    [ApiOperation("PUT /api/aliases/{address}")]
    [ApiOperation("PATCH /api/aliases/{address}")]
    public async Task<IActionResult> OnPostSaveAsync()
    {
        var targets = (Input.Goto ?? string.Empty).Split(['\n', '\r', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        AliasView? saved = null;
        if (!await TryAsync(async () => saved = IsNew
                ? await aliases.CreateAsync(Actor, new AliasInput(Input.Address, targets, Input.Active), HttpContext.RequestAborted)
                : await aliases.UpdateAsync(Actor, Address!, new AliasInput(null, targets, Input.Active), HttpContext.RequestAborted)))
        {
            return Page();
        }

        return Done("/aliases/edit/" + Uri.EscapeDataString(saved!.Address));
    }

    [ApiOperation("DELETE /api/aliases/{address}")]
    public async Task<IActionResult> OnPostDeleteAsync()
    {
        var domain = DirectoryNames.Address(Address!, "address", allowCatchAll: true).Domain;
        if (!await TryAsync(() => aliases.DeleteAsync(Actor, Address!, HttpContext.RequestAborted)))
        {
            await OnGetAsync(null);
            return Page();
        }

        return Done("/aliases?domain=" + Uri.EscapeDataString(domain), "Notice.Deleted");
    }
}

/// <summary>The alias form: its address (new ones only), its targets one per line, and whether it is active.</summary>
public sealed class AliasForm
{
    public string Address { get; set; } = string.Empty;

    public string? Goto { get; set; }

    public bool Active { get; set; } = true;
}
