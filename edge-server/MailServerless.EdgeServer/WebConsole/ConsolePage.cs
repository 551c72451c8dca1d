using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// What every signed-in console page has: its actor, the page size, a notice carried over a redirect, and
/// <see cref="TryAsync"/>, which puts a refused change's message (the API's problem detail) beside its field.
/// </summary>
public abstract class ConsolePage : PageModel
{
    public AdminActor Actor => ConsoleSessions.Current(HttpContext) ?? throw new InvalidOperationException("the page was reached without a session");

    public bool IsAdmin => Actor.OwnMailbox is null;

    /// <summary>A resource key of what the last change did (<c>Notice.Saved</c>), shown once.</summary>
    [TempData]
    public string? Notice { get; set; }

    /// <summary>The console's words in the request's language, for messages made in code.</summary>
    protected Microsoft.Extensions.Localization.IStringLocalizer<ConsoleText> Words =>
        HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<ConsoleText>>();

    protected int PageSize => HttpContext.RequestServices.GetRequiredService<ConsoleOptions>().PageSize;

    /// <summary>
    /// Makes a change; a change refused as invalid or conflicting is false, with its message in the model state under
    /// the field it names (<c>Input.Address</c> for <c>address</c>), or for the whole form. Not found and forbidden
    /// go on to <see cref="ConsoleSessionFilter"/>.
    /// </summary>
    protected async Task<bool> TryAsync(Func<Task> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        try
        {
            await change();
            return true;
        }
        catch (AdministrationException e) when (e.Error is AdministrationError.Invalid or AdministrationError.Conflict)
        {
            ModelState.AddModelError(FieldKey(e.Field), e.Message);
            return false;
        }
    }

    /// <summary>False, with the reason beside <c>Input.Confirm</c>, when a password typed twice differs.</summary>
    protected bool Confirmed(string? password, string? confirm)
    {
        if (string.Equals(password, confirm, StringComparison.Ordinal))
        {
            return true;
        }

        ModelState.AddModelError("Input.Confirm", Words["Password.Mismatch"]);
        return false;
    }

    /// <summary>Back to a page after a change, with a notice for it.</summary>
    protected RedirectResult Done(string url, string notice = "Notice.Saved")
    {
        Notice = notice;
        return Redirect(url);
    }

    private string FieldKey(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return string.Empty;
        }

        var name = char.ToUpperInvariant(field[0]) + field[1..];
        var input = GetType().GetProperty("Input")?.PropertyType;
        return input?.GetProperty(name) is null ? string.Empty : "Input." + name;
    }

    /// <summary>The page links of a list: where each page starts, with the other query values kept.</summary>
    public static Pager PagerOf<T>(Page<T> page) => new(page.Total, page.Offset, page.Limit);
}

/// <summary>Where a list is: its total, the first row shown and the rows per page.</summary>
public sealed record Pager(long Total, int Offset, int Limit)
{
    public bool HasPrevious => Offset > 0;

    public bool HasNext => Offset + Limit < Total;

    public int Previous => Math.Max(0, Offset - Limit);

    public int Next => Offset + Limit;

    public long First => Total == 0 ? 0 : Offset + 1;

    public long Last => Math.Min(Total, Offset + Limit);
}
