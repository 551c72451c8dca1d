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
        Input.Password = null;
        AdminView? saved = null;
        if (!await TryAsync(async () => saved = IsNew
                ? await admins.CreateAsync(Actor, new AdminInput(Input.Username, password, Input.Superadmin, domains, Input.Active), HttpContext.RequestAborted)
                : await admins.UpdateAsync(Actor, Username!, new AdminInput(null, password, Input.Superadmin, domains, Input.Active), HttpContext.RequestAborted)))
        {
            return Page();
        }

        return Done("/admins/edit/" + Uri.EscapeDataString(saved!.Username));
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

    public string? Domains { get; set; }

    public bool Superadmin { get; set; }

    public bool Active { get; set; } = true;
}
