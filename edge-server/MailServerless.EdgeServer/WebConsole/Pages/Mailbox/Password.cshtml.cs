using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Api;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailbox;

/// <summary>A new mail password (the same for SMTP, IMAP and POP3): set by the owner, or reset by an admin of the domain.</summary>
public sealed class MailboxPasswordModel(Core.Administration.Mailboxes mailboxes, PasswordLogin login) : ConsolePage
{
    /// <summary>
    /// The owner proves they know the password before changing it (PostfixAdmin's user area asks too), so that a
    /// session left open cannot take the mailbox over; an admin's reset does not ask.
    /// </summary>
    public bool AsksCurrent => string.Equals(Actor.OwnMailbox, Address, StringComparison.OrdinalIgnoreCase);

    [BindProperty(SupportsGet = true)]
    public string Address { get; set; } = string.Empty;

    [BindProperty]
    public PasswordForm Input { get; set; } = new();

    public async Task OnGetAsync() => Address = (await mailboxes.GetAsync(Actor, Address, HttpContext.RequestAborted)).Address;

    [ApiOperation("PUT /api/mailboxes/{address}/password")]
    public async Task<IActionResult> OnPostAsync()
    {
        var password = Input.Password ?? string.Empty;
        var confirmed = Confirmed(password, Input.Confirm);
        var current = Input.Current ?? string.Empty;
        Input = new PasswordForm();
        if (AsksCurrent)
        {
            // Throttled and logged as a login is: this form is no way round the login's limits.
            var (result, _) = await login.LogInAsync(HttpContext.ClientAddress(), Address, current, "console", HttpContext.RequestAborted);
            if (result != PasswordLoginResult.Succeeded)
            {
                ModelState.AddModelError("Input.Current", result == PasswordLoginResult.Throttled ? Words["Login.Throttled"] : Words["Password.WrongCurrent"]);
                return Page();
            }
        }

        if (!confirmed)
        {
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
    public string? Current { get; set; }

    public string? Password { get; set; }

    public string? Confirm { get; set; }
}
