using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.AliasDomains;

/// <summary>An alias domain and its target: both must be domains the admin manages.</summary>
public sealed class AliasDomainEditModel(Core.Administration.AliasDomains aliasDomains) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? AliasDomain { get; set; }

    [BindProperty]
    public AliasDomainForm Input { get; set; } = new();

    public bool IsNew => string.IsNullOrEmpty(AliasDomain);

    [ApiOperation("GET /api/alias-domains/{aliasDomain}")]
    public async Task OnGetAsync()
    {
        if (IsNew)
        {
            Actor.EnsureAdmin();
            return;
        }

        var view = await aliasDomains.GetAsync(Actor, AliasDomain!, HttpContext.RequestAborted);
        Input = new AliasDomainForm { AliasDomain = view.AliasDomain, TargetDomain = view.TargetDomain, Active = view.Active };
    }

    [ApiOperation("POST /api/alias-domains")]
    [ApiOperation("PUT /api/alias-domains/{aliasDomain}")]
    [ApiOperation("PATCH /api/alias-domains/{aliasDomain}")]
    public async Task<IActionResult> OnPostSaveAsync()
    {
        AliasDomainView? saved = null;
        if (!await TryAsync(async () => saved = IsNew
                ? await aliasDomains.CreateAsync(Actor, new AliasDomainInput(Input.AliasDomain, Input.TargetDomain, Input.Active), HttpContext.RequestAborted)
                : await aliasDomains.UpdateAsync(Actor, AliasDomain!, new AliasDomainInput(null, Input.TargetDomain, Input.Active), HttpContext.RequestAborted)))
        {
            return Page();
        }

        return Done("/alias-domains/edit/" + Uri.EscapeDataString(saved!.AliasDomain));
    }

    [ApiOperation("DELETE /api/alias-domains/{aliasDomain}")]
    public async Task<IActionResult> OnPostDeleteAsync()
    {
        await aliasDomains.DeleteAsync(Actor, AliasDomain!, HttpContext.RequestAborted);
        return Done("/alias-domains", "Notice.Deleted");
    }
}

/// <summary>The alias domain form.</summary>
public sealed class AliasDomainForm
{
    public string AliasDomain { get; set; } = string.Empty;

    public string TargetDomain { get; set; } = string.Empty;

    public bool Active { get; set; } = true;
}
