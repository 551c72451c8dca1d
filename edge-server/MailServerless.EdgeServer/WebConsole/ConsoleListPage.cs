using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// A page that lists: the query it is asked with (<c>?domain=&amp;search=&amp;offset=</c>), the page of rows it shows,
/// and the request for the administration service's list.
/// </summary>
public abstract class ConsoleListPage<T> : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Domain { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public Page<T> List { get; protected set; } = new([], 0, 0, 1);

    /// <summary>The list request for this query: <see cref="ConsoleOptions.PageSize"/> rows from <see cref="Offset"/>.</summary>
    protected PageRequest ListRequest()
    {
        Domain = string.IsNullOrWhiteSpace(Domain) ? null : Domain.Trim();
        return new PageRequest(Math.Max(0, Offset), PageSize, Domain, Search);
    }
}
