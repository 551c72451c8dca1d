using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailboxes;

/// <summary>A mailbox: added with its password, edited (name, quota, language, active), deleted with or without its Maildir.</summary>
public sealed class MailboxEditModel(Core.Administration.Mailboxes mailboxes) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Address { get; set; }

    [BindProperty]
    public MailboxForm Input { get; set; } = new();

    public bool IsNew => string.IsNullOrEmpty(Address);

    [ApiOperation("GET /api/mailboxes/{address}")]
    public async Task OnGetAsync(string? domain)
    {
        if (IsNew)
        {
            Actor.EnsureAdmin();
            Input.Address = domain is null ? string.Empty : "@" + domain;
            return;
        }

        var view = await mailboxes.GetAsync(Actor, Address!, HttpContext.RequestAborted);
        Input = new MailboxForm { Name = view.Name, Quota = Sizes.Describe(view.Quota), Active = view.Active, Language = view.Language };
    }

    [ApiOperation("POST /api/mailboxes")]
    [ApiOperation("PUT /api/mailboxes/{address}")]
    [ApiOperation("PATCH /api/mailboxes/{address}")]
    public async Task<IActionResult> OnPostSaveAsync()
    {
        var quota = FormNumbers.Bytes(Input.Quota, "Input.Quota", ModelState);
        if (IsNew)
        {
            Confirmed(Input.Password, Input.Confirm);
        }

        if (!ModelState.IsValid)
        {
            (Input.Password, Input.Confirm) = (null, null);
            return Page();
        }

        MailboxView? saved = null;
        var input = new MailboxInput(IsNew ? Input.Address : null, IsNew ? Input.Password : null, Input.Name ?? string.Empty, quota, Input.Active, Input.Language ?? string.Empty);
        if (!await TryAsync(async () => saved = IsNew
                ? await mailboxes.CreateAsync(Actor, input, HttpContext.RequestAborted)
                : await mailboxes.UpdateAsync(Actor, Address!, input, HttpContext.RequestAborted)))
        {
            (Input.Password, Input.Confirm) = (null, null);
            return Page();
        }

        return Done("/mailboxes/edit/" + Uri.EscapeDataString(saved!.Address));
    }

    [ApiOperation("DELETE /api/mailboxes/{address}")]
    public async Task<IActionResult> OnPostDeleteAsync(bool removeMaildir)
    {
        // The domain from the address: a mailbox whose Maildir path is unsafe cannot be read, but can be deleted.
        var domain = DirectoryNames.Address(Address!, "address").Domain;
        await mailboxes.DeleteAsync(Actor, Address!, removeMaildir, HttpContext.RequestAborted);
        return Done("/mailboxes?domain=" + Uri.EscapeDataString(domain), "Notice.Deleted");
    }
}

/// <summary>The mailbox form's fields as typed (the quota as a size such as <c>100M</c>).</summary>
public sealed class MailboxForm
{
    public string Address { get; set; } = string.Empty;

    public string? Password { get; set; }

    public string? Confirm { get; set; }

    public string? Name { get; set; }

    public string? Quota { get; set; }

    public string? Language { get; set; }

    public bool Active { get; set; } = true;
}
