using MailServerless.EdgeServer.Api;
using MailServerless.Functions.Outbound;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Domains;

/// <summary>A domain's DKIM key, the record to publish, and its rotation (the next key signs once it is published or activated).</summary>
public sealed class DomainDkimModel(Core.Administration.Domains domains, DkimKeys keys) : ConsolePage
{
    /// <summary>The algorithms by their DKIM names (RFC 6376 §3.3, RFC 8463), the same in every language.</summary>
    public const string RsaName = "rsa-sha256";

    public const string Ed25519Name = "ed25519-sha256";

    [BindProperty(SupportsGet = true)]
    public string Domain { get; set; } = string.Empty;

    public DkimRecord Record { get; private set; } = null!;

    [ApiOperation("GET /api/domains/{domain}/dkim")]
    public async Task OnGetAsync() => Record = DkimRecord.Of(await keys.GetStateAsync(await SigningDomainAsync(), HttpContext.RequestAborted));

    [ApiOperation("POST /api/domains/{domain}/dkim/rotate")]
    public async Task<IActionResult> OnPostRotateAsync(DkimAlgorithm? algorithm)
    {
        await keys.RotateAsync(await SigningDomainAsync(), algorithm, HttpContext.RequestAborted);
        return Done($"/domains/{Uri.EscapeDataString(Domain)}/dkim");
    }

    [ApiOperation("POST /api/domains/{domain}/dkim/activate")]
    public async Task<IActionResult> OnPostActivateAsync()
    {
        if (await keys.ActivateAsync(await SigningDomainAsync(), HttpContext.RequestAborted) is null)
        {
            ModelState.AddModelError(string.Empty, Words["Dkim.NothingPending"]);
            await OnGetAsync();
            return Page();
        }

        return Done($"/domains/{Uri.EscapeDataString(Domain)}/dkim");
    }

    private Task<string> SigningDomainAsync() => SigningDomains.GetAsync(domains, Actor, Domain, HttpContext.RequestAborted);
}
