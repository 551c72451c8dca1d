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

    [BindProperty(SupportsGet = true)]
    public string Address { get; set; } = string.Empty;

    [BindProperty]
    public FiltersForm Input { get; set; } = new();

    public FiltersView Filters { get; private set; } = new(string.Empty, [], null, null);

    [ApiOperation("GET /api/mailboxes/{address}/filters")]
    public async Task OnGetAsync()
    {
        Filters = await filters.GetAsync(Actor, Address, HttpContext.RequestAborted);
        Address = Filters.Address;
        Input.Pad(RuleRows);
    }

    [ApiOperation("PUT /api/mailboxes/{address}/filters")]
    public async Task<IActionResult> OnPostAsync()
    {
        var rules = Input.Rules.Where(r => !string.IsNullOrWhiteSpace(r.Contains)).Select(r => r.ToRule()).ToList();
        if (!await TryAsync(() => filters.SetAsync(Actor, Address, new FilterSetInput(rules), HttpContext.RequestAborted)))
        {
            Filters = await filters.GetAsync(Actor, Address, HttpContext.RequestAborted);
            Input.Pad(RuleRows);
            return Page();
        }

        return Done($"/mailbox/{Uri.EscapeDataString(Address)}/filters");
    }
}

/// <summary>The rule rows of the filter form.</summary>
public sealed class FiltersForm
{
    public List<RuleForm> Rules { get; set; } = [];

    public void Pad(int rows)
    {
        while (Rules.Count < rows)
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

    public FilterRule ToRule() => Action switch
    {
        "forward" => new FilterRule(Header, Contains!.Trim(), ForwardTo: Target?.Trim()),
        "discard" => new FilterRule(Header, Contains!.Trim(), Discard: true),
        _ => new FilterRule(Header, Contains!.Trim(), Folder: Target?.Trim()),
    };
}
