using System.Globalization;
using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailbox;

/// <summary>The out-of-office reply (PostfixAdmin's vacation): on or off, its subject and text, its days and how often one sender is answered.</summary>
public sealed class MailboxVacationModel(Vacations vacations) : ConsolePage
{
    private const int SecondsPerDay = 86_400;

    [BindProperty(SupportsGet = true)]
    public string Address { get; set; } = string.Empty;

    [BindProperty]
    public VacationForm Input { get; set; } = new();

    [ApiOperation("GET /api/mailboxes/{address}/vacation")]
    public async Task OnGetAsync()
    {
        var view = await vacations.GetAsync(Actor, Address, HttpContext.RequestAborted);
        Address = view.Address;
        Input = new VacationForm
        {
            Active = view.Active, Subject = view.Subject, Body = view.Body,
            ActiveFrom = view.ActiveFrom == Vacations.NoStart ? null : view.ActiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ActiveUntil = view.ActiveUntil == Vacations.NoEnd ? null : view.ActiveUntil.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            IntervalDays = (view.IntervalTime / SecondsPerDay).ToString(CultureInfo.InvariantCulture),
            IntervalSeconds = view.IntervalTime,
        };
    }

    [ApiOperation("PUT /api/mailboxes/{address}/vacation")]
    public async Task<IActionResult> OnPostSaveAsync()
    {
        var from = Date(Input.ActiveFrom, "Input.ActiveFrom") ?? Vacations.NoStart;
        // The last day counts whole, to its last second (as PostfixAdmin stores it).
        var until = Date(Input.ActiveUntil, "Input.ActiveUntil")?.AddDays(1).AddSeconds(-1) ?? Vacations.NoEnd;
        var days = FormNumbers.WholeNumber(Input.IntervalDays, "Input.IntervalDays", ModelState, Words) ?? 0;
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // An interval that is not whole days (PostfixAdmin's "every mail" is 1 second) stays as it is unless the days are changed.
        var interval = days == Input.IntervalSeconds / SecondsPerDay ? Input.IntervalSeconds : (int)Math.Min(days * SecondsPerDay, int.MaxValue);
        var input = new VacationInput(Input.Active, Input.Subject ?? string.Empty, Input.Body ?? string.Empty, from, until, interval);
        if (!await TryAsync(() => vacations.SetAsync(Actor, Address, input, HttpContext.RequestAborted)))
        {
            return Page();
        }

        return Done($"/mailbox/{Uri.EscapeDataString(Address)}/vacation");
    }

    [ApiOperation("DELETE /api/mailboxes/{address}/vacation")]
    public async Task<IActionResult> OnPostDeleteAsync()
    {
        await vacations.DeleteAsync(Actor, Address, HttpContext.RequestAborted);
        return Done($"/mailbox/{Uri.EscapeDataString(Address)}/vacation", "Notice.Deleted");
    }

    private DateTime? Date(string? text, string key)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateTime.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        ModelState.AddModelError(key, Words["Error.Date"]);
        return null;
    }
}

/// <summary>The vacation form as typed: dates as <c>yyyy-MM-dd</c>, the interval in days.</summary>
public sealed class VacationForm
{
    public bool Active { get; set; }

    public string? Subject { get; set; }

    public string? Body { get; set; }

    public string? ActiveFrom { get; set; }

    public string? ActiveUntil { get; set; }

    public string? IntervalDays { get; set; }

    /// <summary>The interval as it was stored, in seconds (a hidden field).</summary>
    public int IntervalSeconds { get; set; }
}
