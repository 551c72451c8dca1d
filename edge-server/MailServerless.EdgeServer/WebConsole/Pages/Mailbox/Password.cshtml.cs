using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailbox;

/// <summary>A new mail password (the same for SMTP, IMAP and POP3): set by the owner, or reset by an admin of the domain.</summary>
public sealed class MailboxPasswordModel(Core.Administration.Mailboxes mailboxes) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string Address { get; set; } = string.Empty;

    [BindProperty]
    public PasswordForm Input { get; set; } = new();

    public async Task OnGetAsync() => Address = (await mailboxes.GetAsync(Actor, Address, HttpContext.RequestAborted)).Address;

    [ApiOperation("PUT /api/mailboxes/{address}/password")]
    public async Task<IActionResult> OnPostAsync()
    {
        var password = Input.Password ?? string.Empty;
        var confirmed = string.Equals(password, Input.Confirm, StringComparison.Ordinal);
        Input = new PasswordForm();
        if (!confirmed)
        {
            ModelState.AddModelError("Input.Confirm", Words["Password.Mismatch"]);
            return Page();
        }

        if (!await TryAsync(() => mailboxes.UpdateAsync(Actor, Address, new MailboxInput(Password: password), HttpContext.RequestAborted)))
        {
            return Page();
        }

        return Done($"/mailbox/{Uri.EscapeDataString(Address)}", "Notice.PasswordChanged");
    }
}

/// <summary>The password twice; never shown back.</summary>
public sealed class PasswordForm
{
    public string? Password { get; set; }

    public string? Confirm { get; set; }
}
