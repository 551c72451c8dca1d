using MailServerless.EdgeServer.Api;

namespace MailServerless.EdgeServer.WebConsole.Pages.Domains;

/// <summary>What a domain publishes in DNS against what it should, each record with a copy button.</summary>
public sealed class DomainDnsModel(Core.Administration.Domains domains, DomainDnsCheck check) : ConsolePage
{
    public DomainDnsReport Report { get; private set; } = new(string.Empty, string.Empty, []);

    [ApiOperation("GET /api/domains/{domain}/dns")]
    public async Task OnGetAsync(string domain) =>
        Report = await check.CheckAsync(await domains.GetAsync(Actor, domain, HttpContext.RequestAborted), HttpContext.RequestAborted);
}
