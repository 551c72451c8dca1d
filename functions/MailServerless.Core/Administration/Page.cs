namespace MailServerless.Core.Administration;

/// <summary>Which part of a list: <c>?offset=&amp;limit=</c>, and an optional domain filter.</summary>
public sealed record PageRequest(int Offset = 0, int Limit = 100, string? Domain = null)
{
    public const int MaxLimit = 1000;

    public PageRequest Checked()
    {
        if (Offset < 0)
        {
            throw AdministrationException.Invalid("offset", "offset must not be negative.");
        }

        if (Limit is < 1 or > MaxLimit)
        {
            throw AdministrationException.Invalid("limit", $"limit must be between 1 and {MaxLimit}.");
        }

        return this with { Domain = Domain is null ? null : DirectoryNames.Domain(Domain, "domain") };
    }

    /// <summary>
    /// The checked request for a list by <paramref name="actor"/> (an admin; a <c>?domain=</c> must be theirs), and
    /// the domains the list may show: the one asked for, the admin's own, or null for all (a superadmin).
    /// </summary>
    public (PageRequest Page, string[]? Domains) For(AdminActor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureAdmin();
        var page = Checked();
        if (page.Domain is not null)
        {
            actor.EnsureCanManage(page.Domain);
            return (page, [page.Domain]);
        }

        return (page, actor.IsSuperadmin ? null : actor.Domains.ToArray());
    }
}

/// <summary>One page of a list, with the total count for the filter.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long Total, int Offset, int Limit);
