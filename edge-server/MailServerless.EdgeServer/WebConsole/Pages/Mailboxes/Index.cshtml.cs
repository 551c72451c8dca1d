using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailboxes;

/// <summary>The mailboxes an admin manages, each with its use against its quota.</summary>
public sealed class MailboxesModel(Core.Administration.Mailboxes mailboxes, Quotas quotas) : ConsoleListPage<MailboxView>
{
    public Dictionary<string, QuotaView> Use { get; } = new(StringComparer.Ordinal);

    [ApiOperation("GET /api/mailboxes")]
    public async Task OnGetAsync()
    {
        List = await mailboxes.ListAsync(Actor, ListRequest(), HttpContext.RequestAborted);
        foreach (var mailbox in List.Items)
        {
            if (Core.Accounts.MaildirPath.IsValid(mailbox.Maildir, out _))
            {
                Use[mailbox.Address] = await quotas.OfAsync(mailbox, HttpContext.RequestAborted);
            }
        }
    }
}
