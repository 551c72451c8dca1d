using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Keys;

/// <summary>API keys for automation: a new key's secret is shown once, on the answer to its creation, and never again.</summary>
public sealed class KeysModel(ApiKeys keys) : ConsolePage
{
    [BindProperty]
    public KeyForm Input { get; set; } = new();

    public IReadOnlyList<ApiKeyView> Keys { get; private set; } = [];

    /// <summary>The key just made: rendered on this answer only (not kept for a redirect).</summary>
    public CreatedApiKey? Created { get; private set; }

    /// <summary>When a key was last used, or <c>-</c> for never (the column's default, 2000-01-01).</summary>
    public static string LastUsedOf(ApiKeyView key) =>
        key is null || key.LastUsed.Year <= 2000 ? "-" : key.LastUsed.ToString("u", System.Globalization.CultureInfo.InvariantCulture);

    [ApiOperation("GET /api/keys")]
    public async Task OnGetAsync() => Keys = await keys.ListAsync(Actor, HttpContext.RequestAborted);

    [ApiOperation("POST /api/keys")]
    public async Task<IActionResult> OnPostCreateAsync()
    {
        var username = string.IsNullOrWhiteSpace(Input.Username) ? null : Input.Username.Trim();
        if (await TryAsync(async () => Created = await keys.CreateAsync(Actor, new ApiKeyInput(Input.Name, username), HttpContext.RequestAborted)))
        {
            Input = new KeyForm();
            ModelState.Clear();
        }

        await OnGetAsync();
        return Page();
    }

    [ApiOperation("DELETE /api/keys/{id}")]
    public async Task<IActionResult> OnPostDeleteAsync(string id)
    {
        await keys.DeleteAsync(Actor, id, HttpContext.RequestAborted);
        return Done("/keys", "Notice.Deleted");
    }
}

/// <summary>A new key's name and the admin it acts as (the caller when empty).</summary>
public sealed class KeyForm
{
    public string? Name { get; set; }

    public string? Username { get; set; }
}
