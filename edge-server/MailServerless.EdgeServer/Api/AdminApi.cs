using MailServerless.Core.Administration;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Api;

/// <summary>
/// The admin REST API under <c>/api</c>, over the PostfixAdmin tables: domains, mailboxes (with
/// <c>/password</c>), aliases, alias domains, admins and the log. Lists take <c>?domain=&amp;search=&amp;offset=&amp;limit=</c>.
/// Bodies use PostfixAdmin's column names in camelCase; refusals are RFC 7807 problem details.
/// </summary>
public static partial class AdminApi
{
    private const int MaxBody = 1024 * 1024;

    public static void MapAdminApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api")
            .AddEndpointFilter(AuthenticateAsync)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBody))
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        var domains = api.MapGroup("/domains").WithTags("Domains");
        domains.MapGet("/", (HttpContext c, Domains d, string? domain, string? search, int? offset, int? limit, CancellationToken ct) =>
            d.ListAsync(Actor(c), Page(domain, search, offset, limit), ct));
        domains.MapGet("/{domain}", (HttpContext c, Domains d, string domain, CancellationToken ct) => d.GetAsync(Actor(c), domain, ct));
        domains.MapPost("/", async (HttpContext c, Domains d, DomainInput input, CancellationToken ct) =>
        {
            var created = await d.CreateAsync(Actor(c), input, ct);
            return TypedResults.Created($"/api/domains/{created.Domain}", created);
        });
        domains.MapMethods("/{domain}", ["PATCH", "PUT"], (HttpContext c, Domains d, string domain, DomainInput input, CancellationToken ct) =>
            d.UpdateAsync(Actor(c), domain, input, ct));
        domains.MapDelete("/{domain}", async (HttpContext c, Domains d, IMailboxProvisioning files, string domain, bool? cascade, bool? removeMaildirs, CancellationToken ct) =>
        {
            var maildirs = await d.DeleteAsync(Actor(c), domain, cascade ?? false, ct);
            foreach (var maildir in maildirs)
            {
                await files.DeletedAsync(maildir, removeMaildirs ?? false, ct);
            }

            return TypedResults.NoContent();
        });

        // DKIM: the domain's key (made on first use) as the TXT record to publish, and its rotation.
        // A rotation's key is pending until its record is found in DNS (or activated), so mail is never signed
        // with a key receivers cannot look up.
        domains.MapGet("/{domain}/dkim", async (HttpContext c, Domains d, DkimKeys k, string domain, CancellationToken ct) =>
            DkimRecord.Of(await k.GetStateAsync(await SigningDomains.GetAsync(d, Actor(c), domain, ct), ct))).WithTags("DKIM");
        domains.MapPost("/{domain}/dkim/rotate", async (HttpContext c, Domains d, DkimKeys k, string domain, DkimRotation? input, CancellationToken ct) =>
            DkimRecord.Of(await k.RotateAsync(await SigningDomains.GetAsync(d, Actor(c), domain, ct), input?.Algorithm, ct))).WithTags("DKIM");
        domains.MapPost("/{domain}/dkim/activate", async (HttpContext c, Domains d, DkimKeys k, string domain, CancellationToken ct) =>
            await k.ActivateAsync(await SigningDomains.GetAsync(d, Actor(c), domain, ct), ct) is { } state
                ? DkimRecord.Of(state)
                : throw AdministrationException.Conflict($"{domain} has no pending DKIM key: rotate first.")).WithTags("DKIM");

        // What the domain should publish in DNS, record by record, and what it does publish.
        domains.MapGet("/{domain}/dns", async (HttpContext c, Domains d, DomainDnsCheck check, string domain, CancellationToken ct) =>
            await check.CheckAsync(await d.GetAsync(Actor(c), domain, ct), ct)).WithTags("DNS");

        var mailboxes = api.MapGroup("/mailboxes").WithTags("Mailboxes");
        mailboxes.MapGet("/", (HttpContext c, Mailboxes m, string? domain, string? search, int? offset, int? limit, CancellationToken ct) =>
            m.ListAsync(Actor(c), Page(domain, search, offset, limit), ct));
        mailboxes.MapGet("/{address}", (HttpContext c, Mailboxes m, string address, CancellationToken ct) => m.GetAsync(Actor(c), address, ct));
        mailboxes.MapPost("/", async (HttpContext c, Mailboxes m, MailboxInput input, CancellationToken ct) =>
        {
            var created = await m.CreateAsync(Actor(c), input, ct);
            return TypedResults.Created($"/api/mailboxes/{created.Address}", created);
        });
        mailboxes.MapMethods("/{address}", ["PATCH", "PUT"], (HttpContext c, Mailboxes m, string address, MailboxInput input, CancellationToken ct) =>
            m.UpdateAsync(Actor(c), address, input, ct));
        mailboxes.MapPut("/{address}/password", async (HttpContext c, Mailboxes m, string address, PasswordInput input, CancellationToken ct) =>
        {
            await m.UpdateAsync(Actor(c), address, new MailboxInput(Password: input.Password ?? string.Empty), ct);
            return TypedResults.NoContent();
        });
        mailboxes.MapGet("/{address}/vacation", (HttpContext c, Vacations v, string address, CancellationToken ct) => v.GetAsync(Actor(c), address, ct));
        mailboxes.MapPut("/{address}/vacation", (HttpContext c, Vacations v, string address, VacationInput input, CancellationToken ct) =>
            v.SetAsync(Actor(c), address, input, ct));
        mailboxes.MapDelete("/{address}/vacation", async (HttpContext c, Vacations v, string address, CancellationToken ct) =>
        {
            await v.DeleteAsync(Actor(c), address, ct);
            return TypedResults.NoContent();
        });
        mailboxes.MapGet("/{address}/filters", (HttpContext c, MailboxFilters f, string address, CancellationToken ct) => f.GetAsync(Actor(c), address, ct));
        mailboxes.MapPut("/{address}/filters", (HttpContext c, MailboxFilters f, string address, FilterSetInput input, CancellationToken ct) =>
            f.SetAsync(Actor(c), address, input, ct));
        mailboxes.MapDelete("/{address}", async (HttpContext c, Mailboxes m, string address, bool? removeMaildir, CancellationToken ct) =>
        {
            await m.DeleteAsync(Actor(c), address, removeMaildir ?? false, ct);
            return TypedResults.NoContent();
        });

        var aliases = api.MapGroup("/aliases").WithTags("Aliases");
        aliases.MapGet("/", (HttpContext c, Aliases a, string? domain, string? search, int? offset, int? limit, CancellationToken ct) =>
            a.ListAsync(Actor(c), Page(domain, search, offset, limit), ct));
        aliases.MapGet("/{address}", (HttpContext c, Aliases a, string address, CancellationToken ct) => a.GetAsync(Actor(c), address, ct));
        aliases.MapPost("/", async (HttpContext c, Aliases a, AliasInput input, CancellationToken ct) =>
        {
            var created = await a.CreateAsync(Actor(c), input, ct);
            return TypedResults.Created($"/api/aliases/{created.Address}", created);
        });
        aliases.MapMethods("/{address}", ["PATCH", "PUT"], (HttpContext c, Aliases a, string address, AliasInput input, CancellationToken ct) =>
            a.UpdateAsync(Actor(c), address, input, ct));
        aliases.MapDelete("/{address}", async (HttpContext c, Aliases a, string address, CancellationToken ct) =>
        {
            await a.DeleteAsync(Actor(c), address, ct);
            return TypedResults.NoContent();
        });

        var aliasDomains = api.MapGroup("/alias-domains").WithTags("Alias domains");
        aliasDomains.MapGet("/", (HttpContext c, AliasDomains a, string? domain, string? search, int? offset, int? limit, CancellationToken ct) =>
            a.ListAsync(Actor(c), Page(domain, search, offset, limit), ct));
        aliasDomains.MapGet("/{aliasDomain}", (HttpContext c, AliasDomains a, string aliasDomain, CancellationToken ct) => a.GetAsync(Actor(c), aliasDomain, ct));
        aliasDomains.MapPost("/", async (HttpContext c, AliasDomains a, AliasDomainInput input, CancellationToken ct) =>
        {
            var created = await a.CreateAsync(Actor(c), input, ct);
            return TypedResults.Created($"/api/alias-domains/{created.AliasDomain}", created);
        });
        aliasDomains.MapMethods("/{aliasDomain}", ["PATCH", "PUT"], (HttpContext c, AliasDomains a, string aliasDomain, AliasDomainInput input, CancellationToken ct) =>
            a.UpdateAsync(Actor(c), aliasDomain, input, ct));
        aliasDomains.MapDelete("/{aliasDomain}", async (HttpContext c, AliasDomains a, string aliasDomain, CancellationToken ct) =>
        {
            await a.DeleteAsync(Actor(c), aliasDomain, ct);
            return TypedResults.NoContent();
        });

        var admins = api.MapGroup("/admins").WithTags("Admins");
        admins.MapGet("/", (HttpContext c, Admins a, string? domain, string? search, int? offset, int? limit, CancellationToken ct) =>
            a.ListAsync(Actor(c), Page(domain, search, offset, limit), ct));
        admins.MapGet("/{username}", (HttpContext c, Admins a, string username, CancellationToken ct) => a.GetAsync(Actor(c), username, ct));
        admins.MapPost("/", async (HttpContext c, Admins a, AdminInput input, CancellationToken ct) =>
        {
            var created = await a.CreateAsync(Actor(c), input, ct);
            return TypedResults.Created($"/api/admins/{created.Username}", created);
        });
        admins.MapMethods("/{username}", ["PATCH", "PUT"], (HttpContext c, Admins a, string username, AdminInput input, CancellationToken ct) =>
            a.UpdateAsync(Actor(c), username, input, ct));
        admins.MapDelete("/{username}", async (HttpContext c, Admins a, string username, CancellationToken ct) =>
        {
            await a.DeleteAsync(Actor(c), username, ct);
            return TypedResults.NoContent();
        });

        var keys = api.MapGroup("/keys").WithTags("API keys");
        keys.MapGet("/", (HttpContext c, ApiKeys k, CancellationToken ct) => k.ListAsync(Actor(c), ct));
        keys.MapPost("/", async (HttpContext c, ApiKeys k, ApiKeyInput input, CancellationToken ct) =>
        {
            var created = await k.CreateAsync(Actor(c), input, ct);
            return TypedResults.Created($"/api/keys/{created.Id}", created);
        });
        keys.MapDelete("/{id}", async (HttpContext c, ApiKeys k, string id, CancellationToken ct) =>
        {
            await k.DeleteAsync(Actor(c), id, ct);
            return TypedResults.NoContent();
        });

        MapQueue(api);
        api.MapGet("/log", (HttpContext c, AdministrationLog log, string? domain, string? search, int? offset, int? limit, CancellationToken ct) =>
            log.ListAsync(Actor(c), Page(domain, search, offset, limit), ct)).WithTags("Log");
    }

    /// <summary>Authenticates the call, and turns a refused change into its problem details.</summary>
    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var authentication = context.HttpContext.RequestServices.GetRequiredService<ApiAuthentication>();
        var (actor, refusal) = await authentication.AuthenticateAsync(context.HttpContext);
        if (refusal is not null)
        {
            return refusal;
        }

        context.HttpContext.Items[ApiAuthentication.ActorKey] = actor;
        try
        {
            return await next(context);
        }
        catch (AdministrationException e)
        {
            return ApiProblems.From(e);
        }
        finally
        {
            // A change made here counts at once for this process's logins and deliveries (a new mailbox's
            // welcome mail, a new password), not only after the cache lifetime.
            if (!HttpMethods.IsGet(context.HttpContext.Request.Method) &&
                context.HttpContext.RequestServices.GetService<Core.Accounts.IAccountDirectory>() is Core.Accounts.CachingAccountDirectory cache)
            {
                cache.Clear();
            }
        }
    }

    private static AdminActor Actor(HttpContext context) =>
        context.Items[ApiAuthentication.ActorKey] as AdminActor ?? throw new InvalidOperationException("the call was not authenticated");

    private static PageRequest Page(string? domain, string? search, int? offset, int? limit) => new(offset ?? 0, limit ?? 100, domain, search);
}

/// <summary>The body of <c>PUT /api/mailboxes/{address}/password</c>.</summary>
public sealed record PasswordInput(string? Password);
