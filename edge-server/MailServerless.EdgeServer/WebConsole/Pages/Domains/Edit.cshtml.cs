using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Domains;

/// <summary>A domain's fields and PostfixAdmin's limits: added and deleted by a superadmin, edited by its admins.</summary>
public sealed class DomainEditModel(Core.Administration.Domains domains, IMailboxProvisioning files) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Domain { get; set; }

    [BindProperty]
    public DomainForm Input { get; set; } = new();

    public bool IsNew => string.IsNullOrEmpty(Domain);

    /// <summary>A domain admin sees the limits but may change only the description, active and where postmaster goes.</summary>
    public bool LimitsReadOnly => !Actor.IsSuperadmin;

    [ApiOperation("GET /api/domains/{domain}")]
    public async Task OnGetAsync()
    {
        if (!IsNew)
        {
            Input = DomainForm.Of(await domains.GetAsync(Actor, Domain!, HttpContext.RequestAborted));
        }
        else
        {
            Actor.EnsureSuperadmin();
        }
    }

    [ApiOperation("POST /api/domains")]
    [ApiOperation("PUT /api/domains/{domain}")]
    [ApiOperation("PATCH /api/domains/{domain}")]
    public async Task<IActionResult> OnPostSaveAsync()
    {
        var input = Input.ToInput(ModelState, Words);
        if (input is null)
        {
            await ShowLimitsAsync();
            return Page();
        }

        if (LimitsReadOnly)
        {
            input = new DomainInput(Description: input.Description, Active: input.Active, Postmaster: input.Postmaster);
        }

        DomainView? saved = null;
        if (!await TryAsync(async () => saved = IsNew
                ? await domains.CreateAsync(Actor, input, HttpContext.RequestAborted)
                : await domains.UpdateAsync(Actor, Domain!, input with { Domain = null }, HttpContext.RequestAborted)))
        {
            await ShowLimitsAsync();
            return Page();
        }

        return Done("/domains/edit/" + Uri.EscapeDataString(saved!.Domain));
    }

    /// <summary>A page shown again after a refusal: the limits a domain admin cannot change (and did not post) as they are.</summary>
    private async Task ShowLimitsAsync()
    {
        if (LimitsReadOnly && !IsNew)
        {
            var current = DomainForm.Of(await domains.GetAsync(Actor, Domain!, HttpContext.RequestAborted));
            (Input.Mailboxes, Input.Aliases, Input.MaxQuota, Input.Quota, Input.Transport, Input.BackupMx) =
                (current.Mailboxes, current.Aliases, current.MaxQuota, current.Quota, current.Transport, current.BackupMx);
        }
    }

    [ApiOperation("DELETE /api/domains/{domain}")]
    public async Task<IActionResult> OnPostDeleteAsync(bool cascade, bool removeMaildirs)
    {
        IReadOnlyList<string> maildirs = [];
        if (!await TryAsync(async () => maildirs = await domains.DeleteAsync(Actor, Domain!, cascade, HttpContext.RequestAborted)))
        {
            Input = DomainForm.Of(await domains.GetAsync(Actor, Domain!, HttpContext.RequestAborted));
            return Page();
        }

        foreach (var maildir in maildirs)
        {
            await files.DeletedAsync(maildir, removeMaildirs, HttpContext.RequestAborted);
        }

        return Done("/domains", "Notice.Deleted");
    }
}

/// <summary>The domain form's fields as typed (sizes such as <c>1G</c>, numbers as text), turned into the API's input.</summary>
public sealed class DomainForm
{
    public string Domain { get; set; } = string.Empty;

    public string? Description { get; set; }

    public string Mailboxes { get; set; } = string.Empty;

    public string Aliases { get; set; } = string.Empty;

    public string MaxQuota { get; set; } = string.Empty;

    public string Quota { get; set; } = string.Empty;

    public string? Transport { get; set; }

    public string? Postmaster { get; set; }

    public bool BackupMx { get; set; }

    public bool Active { get; set; } = true;

    public static DomainForm Of(DomainView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new()
        {
            Domain = view.Domain, Description = view.Description, Mailboxes = Number(view.Mailboxes), Aliases = Number(view.Aliases),
            MaxQuota = Number(view.MaxQuota), Quota = Number(view.Quota), Transport = view.Transport, BackupMx = view.BackupMx, Active = view.Active,
        };
    }

    /// <summary>The API's input; null with the model state's errors when a number or size does not read.</summary>
    public DomainInput? ToInput(Microsoft.AspNetCore.Mvc.ModelBinding.ModelStateDictionary state, Microsoft.Extensions.Localization.IStringLocalizer<ConsoleText> words)
    {
        ArgumentNullException.ThrowIfNull(state);
        var mailboxes = FormNumbers.WholeNumber(Mailboxes, "Input.Mailboxes", state, words);
        var aliases = FormNumbers.WholeNumber(Aliases, "Input.Aliases", state, words);
        var maxQuota = FormNumbers.Megabytes(MaxQuota, "Input.MaxQuota", state);
        var quota = FormNumbers.Megabytes(Quota, "Input.Quota", state);
        return state.IsValid
            ? new DomainInput(Domain, Description ?? string.Empty, (int?)mailboxes, (int?)aliases, maxQuota, quota, BackupMx, Active,
                string.IsNullOrWhiteSpace(Transport) ? null : Transport.Trim(), string.IsNullOrWhiteSpace(Postmaster) ? null : Postmaster.Trim())
            : null;
    }

    private static string Number(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
