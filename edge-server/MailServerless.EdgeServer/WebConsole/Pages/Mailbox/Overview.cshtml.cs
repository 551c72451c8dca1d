using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Api;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailbox;

/// <summary>A mailbox's home: its use against the quota, its settings, and what to type into a mail client.</summary>
public sealed class MailboxOverviewModel(Core.Administration.Mailboxes mailboxes, Quotas quotas, MailOptions options) : ConsolePage
{
    public MailboxView Mailbox { get; private set; } = null!;

    public QuotaView? Quota { get; private set; }

    public string Escaped => Uri.EscapeDataString(Mailbox.Address);

    public string Host => Autoconfig.HostName(options);

    public IEnumerable<Autoconfig.Service> Services => Autoconfig.Services(options);

    [ApiOperation("GET /api/mailboxes/{address}")]
    public async Task OnGetAsync(string address) => await LoadAsync(address);

    /// <summary>The language of what the server writes to the owner (quota warnings): the one change of the mailbox's row an owner makes.</summary>
    [ApiOperation("PATCH /api/mailboxes/{address}")]
    public async Task<IActionResult> OnPostLanguageAsync(string address, string? language)
    {
        if (!await TryAsync(() => mailboxes.UpdateAsync(Actor, address, new MailboxInput(Language: language ?? string.Empty), HttpContext.RequestAborted)))
        {
            await LoadAsync(address);
            return Page();
        }

        return Done("/mailbox/" + Uri.EscapeDataString(address));
    }

    private async Task LoadAsync(string address)
    {
        Mailbox = await mailboxes.GetAsync(Actor, address, HttpContext.RequestAborted);
        Quota = Core.Accounts.MaildirPath.IsValid(Mailbox.Maildir, out _)
            ? await quotas.OfAsync(Mailbox, HttpContext.RequestAborted)
            : null;
    }
}
