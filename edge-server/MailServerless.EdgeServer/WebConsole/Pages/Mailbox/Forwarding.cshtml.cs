using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailbox;

/// <summary>
/// Where a mailbox's mail goes besides the mailbox (PostfixAdmin's "edit alias" of the user area): the mailbox's own
/// alias row, whose goto holds the forwards, and the mailbox itself when a copy is kept.
/// </summary>
public sealed class MailboxForwardingModel(Core.Administration.Aliases aliases, Vacations vacations) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string Address { get; set; } = string.Empty;

    [BindProperty]
    public ForwardingForm Input { get; set; } = new();

    [ApiOperation("GET /api/aliases/{address}")]
    public async Task OnGetAsync()
    {
        var alias = await aliases.GetAsync(Actor, Address, HttpContext.RequestAborted);
        Address = alias.Address;
        // The vacation's own target is the vacation's to keep (the service puts it back); every other target is shown.
        var vacation = vacations.VacationAddress(alias.Address);
        Input = new ForwardingForm
        {
            Goto = string.Join('\n', alias.Goto.Where(g => !string.Equals(g, alias.Address, StringComparison.OrdinalIgnoreCase) &&
                                                          !string.Equals(g, vacation, StringComparison.OrdinalIgnoreCase))),
            KeepCopy = alias.Goto.Contains(alias.Address, StringComparer.OrdinalIgnoreCase),
        };
    }

    [ApiOperation("PATCH /api/aliases/{address}")]
    public async Task<IActionResult> OnPostAsync()
    {
        var targets = (Input.Goto ?? string.Empty).Split(['\n', '\r', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (Input.KeepCopy || targets.Count == 0)
        {
            // With no forward the mail stays here whatever the box says: a mailbox always receives its own mail.
            targets.Insert(0, Address);
        }

        if (!await TryAsync(() => aliases.UpdateAsync(Actor, Address, new AliasInput(Goto: targets), HttpContext.RequestAborted)))
        {
            return Page();
        }

        return Done($"/mailbox/{Uri.EscapeDataString(Address)}/forwarding");
    }
}

/// <summary>The forwards, one per line, and whether the mailbox keeps a copy.</summary>
public sealed class ForwardingForm
{
    public string? Goto { get; set; }

    public bool KeepCopy { get; set; } = true;
}
