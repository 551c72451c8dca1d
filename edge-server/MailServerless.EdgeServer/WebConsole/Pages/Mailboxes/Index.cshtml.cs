using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailboxes;

/// <summary>The mailboxes an admin manages, each with its use against its quota.</summary>
public sealed class MailboxesModel(Core.Administration.Mailboxes mailboxes, Quotas quotas) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Domain { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public Page<MailboxView> List { get; private set; } = new([], 0, 0, 1);

    public Dictionary<string, QuotaView> Use { get; } = new(StringComparer.Ordinal);

    [ApiOperation("GET /api/mailboxes")]
    public async Task OnGetAsync()
    {
        Domain = string.IsNullOrWhiteSpace(Domain) ? null : Domain;
        List = await mailboxes.ListAsync(Actor, new PageRequest(Math.Max(0, Offset), PageSize, Domain, Search), HttpContext.RequestAborted);
        foreach (var mailbox in List.Items)
        {
            if (Core.Accounts.MaildirPath.IsValid(mailbox.Maildir, out _))
            {
                Use[mailbox.Address] = await quotas.GetAsync(Actor, mailbox.Address, false, HttpContext.RequestAborted);
            }
        }
    }
}
