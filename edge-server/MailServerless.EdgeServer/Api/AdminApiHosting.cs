using Microsoft.Extensions.DependencyInjection.Extensions;
using MailServerless.Core.Administration;
using MailServerless.Core.Queue;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Hosting;
using MailServerless.Functions;

namespace MailServerless.EdgeServer.Api;

/// <summary>Registers the administration services, the API's authentication, problem details and the OpenAPI document.</summary>
public static class AdminApiHosting
{
    /// <summary>What PostfixAdmin does, over the directory: shared by the admin API and the command line.</summary>
    /// <param name="deliverWelcomeDirectly">
    /// For the command line: the running server owns the spool, so the welcome mail goes straight into the new Maildir.
    /// </param>
    public static IServiceCollection AddAdministration(this IServiceCollection services, bool deliverWelcomeDirectly = false)
    {
        services.AddSingleton<AdministrationLog>();
        services.AddSingleton<AdminAuthenticator>();
        services.AddSingleton<Domains>();
        services.AddSingleton<Mailboxes>();
        services.AddSingleton<Quotas>();
        services.AddSingleton<Aliases>();
        services.AddSingleton<AliasDomains>();
        services.AddSingleton<Admins>();
        services.AddSingleton<Vacations>();
        services.AddSingleton<MailboxFilters>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton(sp => new QueueTools(
            new[] { QueueServices.Inbound, QueueServices.Outbound }.Select(name => sp.GetRequiredKeyedService<IMessageQueue>(name)).OfType<IQueueAdministration>().ToList(),
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<AdministrationLog>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<Functions.Outbound.DkimKeys>();
        services.AddSingleton<IMailboxProvisioning>(sp => new MailboxProvisioning(
            sp.GetRequiredService<MaildirStore>(),
            deliverWelcomeDirectly ? null : sp.GetRequiredKeyedService<IMessageQueue>(QueueServices.Inbound),
            deliverWelcomeDirectly ? null : sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredService<AdministrationOptions>(),
            sp.GetRequiredService<Core.Configuration.MailOptions>().EffectiveHostName,
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddAdministration();
        services.AddSingleton<PasswordLogin>();
        services.AddSingleton<ApiAuthentication>();
        services.AddSingleton<DomainDnsCheck>();
        services.AddSingleton<ControlToken>();
        services.AddProblemDetails();
        // A body that does not bind (bad JSON, a size such as "12X") is answered 400 with its reason (UnreadableBody).
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi();
        return services;
    }

    public static void MapAdminEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseStatusCodePages();
        app.Use(UnreadableBody.AnswerAsync);
        app.MapOpenApi();
        app.MapAdminApi();
        app.MapAutoconfig();
    }
}
