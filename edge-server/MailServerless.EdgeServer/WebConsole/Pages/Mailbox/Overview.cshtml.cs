using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Api;

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
    public async Task OnGetAsync(string address)
    {
        Mailbox = await mailboxes.GetAsync(Actor, address, HttpContext.RequestAborted);
        Quota = Core.Accounts.MaildirPath.IsValid(Mailbox.Maildir, out _)
            ? await quotas.GetAsync(Actor, Mailbox.Address, false, HttpContext.RequestAborted)
            : null;
    }
}
