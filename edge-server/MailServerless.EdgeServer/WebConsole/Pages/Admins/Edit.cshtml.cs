using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Admins;

/// <summary>An admin: their password (never shown), superadmin or the domains they manage, active.</summary>
public sealed class AdminEditModel(Core.Administration.Admins admins) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Username { get; set; }

    [BindProperty]
    public AdminForm Input { get; set; } = new();

    public bool IsNew => string.IsNullOrEmpty(Username);

    /// <summary>A domain admin on their own page: only their password is theirs to change.</summary>
    public bool OnlyPassword => !Actor.IsSuperadmin;

    [ApiOperation("GET /api/admins/{username}")]
    public async Task OnGetAsync()
    {
        if (IsNew)
        {
            Actor.EnsureSuperadmin();
            return;
        }

        var view = await admins.GetAsync(Actor, Username!, HttpContext.RequestAborted);
        Input = new AdminForm { Username = view.Username, Domains = string.Join('\n', view.Domains), Superadmin = view.Superadmin, Active = view.Active };
    }

    [ApiOperation("POST /api/admins")]
    [ApiOperation("PUT /api/admins/{username}")]
    [ApiOperation("PATCH /api/admins/{username}")]
    public async Task<IActionResult> OnPostSaveAsync()
    {
        var domains = (Input.Domains ?? string.Empty).Split(['\n', '\r', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var password = string.IsNullOrEmpty(Input.Password) ? null : Input.Password;
        var confirmed = Confirmed(Input.Password, Input.Confirm);
        (Input.Password, Input.Confirm) = (null, null);
        if (!confirmed)
        {
            await ShowOwnAsync();
            return Page();
        }

        var change = OnlyPassword ? new AdminInput(Password: password) : new AdminInput(null, password, Input.Superadmin, domains, Input.Active);
        AdminView? saved = null;
        if (!await TryAsync(async () => saved = IsNew
                ? await admins.CreateAsync(Actor, change with { Username = Input.Username }, HttpContext.RequestAborted)
                : await admins.UpdateAsync(Actor, Username!, change, HttpContext.RequestAborted)))
        {
            await ShowOwnAsync();
            return Page();
        }

        return Done("/admins/edit/" + Uri.EscapeDataString(saved!.Username));
    }

    /// <summary>What a domain admin's own page shows again after a refusal (their domains, read-only).</summary>
    private async Task ShowOwnAsync()
    {
        if (OnlyPassword && !IsNew)
        {
            var view = await admins.GetAsync(Actor, Username!, HttpContext.RequestAborted);
            Input.Domains = string.Join('\n', view.Domains);
            Input.Active = view.Active;
        }
    }

    [ApiOperation("DELETE /api/admins/{username}")]
    public async Task<IActionResult> OnPostDeleteAsync()
    {
        if (!await TryAsync(() => admins.DeleteAsync(Actor, Username!, HttpContext.RequestAborted)))
        {
            await OnGetAsync();
            return Page();
        }

        return Done("/admins", "Notice.Deleted");
    }
}

/// <summary>The admin form; the password is write-only.</summary>
public sealed class AdminForm
{
    public string Username { get; set; } = string.Empty;

    public string? Password { get; set; }

    public string? Confirm { get; set; }

    public string? Domains { get; set; }

    public bool Superadmin { get; set; }

    public bool Active { get; set; } = true;
}
