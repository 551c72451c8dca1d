namespace MailServerless.Core.Administration;

/// <summary>
/// Which part of a list: <c>?offset=&amp;limit=</c>, an optional domain filter, and an optional <c>?search=</c>
/// (a piece of the names shown, matched anywhere and without regard to ASCII case, as PostfixAdmin's search box does).
/// </summary>
public sealed record PageRequest(int Offset = 0, int Limit = 100, string? Domain = null, string? Search = null)
{
    public const int MaxLimit = 1000;
    private const int MaxSearch = 255;

    /// <summary>
    /// The search as a <c>LIKE</c> pattern with <c>!</c> as its escape (<c>LIKE @search ESCAPE '!'</c>, the same in
    /// MySQL and SQLite), or null for no search.
    /// </summary>
    public string? SearchPattern => string.IsNullOrWhiteSpace(Search)
        ? null
        : "%" + Search.Trim().Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal) + "%";

    /// <summary>The SQL condition for <see cref="SearchPattern"/> over <paramref name="columns"/>, or null for no search.</summary>
    public string? SearchCondition(Accounts.Sql.ISqlDialect dialect, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        return SearchPattern is null ? null : "(" + string.Join(" OR ", columns.Select(c => $"{dialect.SearchableText(c)} LIKE @search ESCAPE '!'")) + ")";
    }

    /// <summary>Joins the conditions that are there into a <c>WHERE</c> clause (with a trailing space), or nothing.</summary>
    public static string Where(params string?[] conditions)
    {
        var present = conditions.Where(c => !string.IsNullOrEmpty(c)).ToList();
        return present.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", present) + " ";
    }

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

        if (Search is { Length: > MaxSearch })
        {
            throw AdministrationException.Invalid("search", $"search must be at most {MaxSearch} characters.");
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
