namespace MailServerless.Core.Administration;

/// <summary>A mailbox's use against its quota, as <c>doveadm quota get</c> shows it (bytes; percent of the limit, 0 when there is none).</summary>
public sealed record QuotaView(string Address, long Bytes, long Messages, long Limit, int Percent);

/// <summary>
/// <c>doveadm quota get</c> and <c>recalc</c> over the directory's mailboxes: what each Maildir's <c>maildirsize</c> says,
/// or a fresh count that rewrites it. A mailbox whose Maildir does not exist yet holds nothing.
/// </summary>
public sealed class Quotas(Mailboxes mailboxes, IMailboxProvisioning provisioning)
{
    private const int PageSize = 500;

    public async Task<QuotaView> GetAsync(AdminActor actor, string address, bool recalculate, CancellationToken cancellationToken = default)
    {
        var mailbox = await mailboxes.GetAsync(actor, address, cancellationToken);
        return await ViewAsync(mailbox, recalculate, cancellationToken);
    }

    /// <summary>Every mailbox the actor manages (in <paramref name="domain"/> when given), by address.</summary>
    public async Task<IReadOnlyList<QuotaView>> ListAsync(AdminActor actor, string? domain, bool recalculate, CancellationToken cancellationToken = default)
    {
        var views = new List<QuotaView>();
        for (var offset = 0; ; offset += PageSize)
        {
            var page = await mailboxes.ListAsync(actor, new PageRequest(offset, PageSize, domain), cancellationToken);
            foreach (var mailbox in page.Items)
            {
                if (Accounts.MaildirPath.IsValid(mailbox.Maildir, out _))
                {
                    views.Add(await ViewAsync(mailbox, recalculate, cancellationToken));
                }
            }

            if (page.Items.Count < PageSize)
            {
                return views;
            }
        }
    }

    /// <summary>The use of a mailbox the caller has just read (a row of a list it may see), without reading it again.</summary>
    public Task<QuotaView> OfAsync(MailboxView mailbox, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        return ViewAsync(mailbox, false, cancellationToken);
    }

    private async Task<QuotaView> ViewAsync(MailboxView mailbox, bool recalculate, CancellationToken cancellationToken)
    {
        var usage = recalculate
            ? await provisioning.RecalculateUsageAsync(mailbox.Maildir, mailbox.Quota, cancellationToken)
            : await provisioning.UsageAsync(mailbox.Maildir, mailbox.Quota, cancellationToken);
        var bytes = usage?.Bytes ?? 0;
        var percent = mailbox.Quota > 0 ? (int)Math.Min(int.MaxValue, bytes * 100 / mailbox.Quota) : 0;
        return new QuotaView(mailbox.Address, bytes, usage?.Messages ?? 0, mailbox.Quota, percent);
    }
}
