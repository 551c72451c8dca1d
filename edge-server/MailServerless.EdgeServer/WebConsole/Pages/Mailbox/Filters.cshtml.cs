using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Mailbox;

/// <summary>
/// A mailbox's Sieve filters: simple rules (a header contains a text → a folder, a forward, or discard) written as the
/// managed script, and the active script's text as it is (one uploaded over ManageSieve included).
/// </summary>
public sealed class MailboxFiltersModel(MailboxFilters filters) : ConsolePage
{
    private const int RuleRows = 5;

    /// <summary>The header fields a simple rule looks at, by their names in mail (the same in every language).</summary>
    public static IReadOnlyList<string> Headers { get; } = ["Subject", "From", "To", "Cc", "List-Id"];

    /// <summary>The choices for one rule: the usual headers, and the rule's own when it looks at another (set through the API).</summary>
    public static IEnumerable<string> HeadersWith(string current) =>
        Headers.Any(h => h.Equals(current, StringComparison.OrdinalIgnoreCase)) || string.IsNullOrEmpty(current) ? Headers : [.. Headers, current];

    [BindProperty(SupportsGet = true)]
    public string Address { get; set; } = string.Empty;

    [BindProperty]
    public FiltersForm Input { get; set; } = new();

    public FiltersView Filters { get; private set; } = new(string.Empty, [], null, null);

    /// <summary>The active script is one of the owner's own (uploaded over ManageSieve): saving here would replace it.</summary>
    public bool ActiveIsOwn => Filters.ActiveScript is { } active && active != MailboxFilters.ManagedScript;

    [ApiOperation("GET /api/mailboxes/{address}/filters")]
    public async Task OnGetAsync()
    {
        Filters = await filters.GetAsync(Actor, Address, HttpContext.RequestAborted);
        Address = Filters.Address;
        Input.Rules = Managed()?.Rules?.Select(RuleForm.Of).ToList() ?? [];
        Input.Pad(Input.Rules.Count + 2, RuleRows);
    }

    [ApiOperation("PUT /api/mailboxes/{address}/filters")]
    public async Task<IActionResult> OnPostAsync()
    {
        Filters = await filters.GetAsync(Actor, Address, HttpContext.RequestAborted);
        if (ActiveIsOwn && !Input.ReplaceActive)
        {
            ModelState.AddModelError("Input.ReplaceActive", Words["Filters.ConfirmReplace"]);
            Input.Pad(Input.Rules.Count, RuleRows);
            return Page();
        }

        // The managed set's forward and vacation (set through the API) stay as they are; the rules are the form's.
        var kept = Managed() ?? new FilterSetInput();
        var rules = Input.Rules.Where(r => !string.IsNullOrWhiteSpace(r.Contains)).Select(r => r.ToRule()).ToList();
        if (!await TryAsync(() => filters.SetAsync(Actor, Address, kept with { Rules = rules }, HttpContext.RequestAborted)))
        {
            Input.Pad(Input.Rules.Count, RuleRows);
            return Page();
        }

        return Done($"/mailbox/{Uri.EscapeDataString(Address)}/filters");
    }

    /// <summary>The managed filter set as it was written, when it is the active script.</summary>
    private FilterSetInput? Managed() => Filters.ActiveScript == MailboxFilters.ManagedScript ? MailboxFilters.Read(Filters.ActiveText) : null;
}

/// <summary>The rule rows of the filter form.</summary>
public sealed class FiltersForm
{
    public List<RuleForm> Rules { get; set; } = [];

    /// <summary>The owner agreed to replace their own active script with these rules.</summary>
    public bool ReplaceActive { get; set; }

    /// <summary>Empty rows to write new rules in, up to the larger of <paramref name="rows"/> and <paramref name="atLeast"/>.</summary>
    public void Pad(int rows, int atLeast)
    {
        while (Rules.Count < Math.Max(rows, atLeast))
        {
            Rules.Add(new RuleForm());
        }
    }
}

/// <summary>One rule as typed: the header, the text it contains, and what to do (with its folder or address).</summary>
public sealed class RuleForm
{
    public string Header { get; set; } = "subject";

    public string? Contains { get; set; }

    public string Action { get; set; } = "folder";

    public string? Target { get; set; }

    public static RuleForm Of(FilterRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new()
        {
            Header = rule.Header.ToLowerInvariant(), Contains = rule.Contains,
            Action = rule.Discard ? "discard" : rule.ForwardTo is not null ? "forward" : "folder",
            Target = rule.ForwardTo ?? rule.Folder,
        };
    }

    public FilterRule ToRule() => Action switch
    {
        "forward" => new FilterRule(Header, Contains!.Trim(), ForwardTo: Target?.Trim()),
        "discard" => new FilterRule(Header, Contains!.Trim(), Discard: true),
        _ => new FilterRule(Header, Contains!.Trim(), Folder: Target?.Trim()),
    };
}
