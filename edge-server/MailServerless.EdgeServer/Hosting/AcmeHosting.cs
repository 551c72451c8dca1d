using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Acme;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// Certificates from an ACME CA (<c>Mail:Tls:Acme</c>): the service that orders and renews them, and the answers to
/// the CA's challenges: http-01 at <c>/.well-known/acme-challenge/{token}</c> on the HTTP listeners (alone on
/// <c>Mail:Listeners:AcmeHttp</c>, port 80), tls-alpn-01 on the HTTPS listener (<see cref="MailListeners"/>).
/// </summary>
public static class AcmeHosting
{
    public static IServiceCollection AddAcme(this IServiceCollection services)
    {
        services.AddSingleton(sp => new AcmeChallengeStore(ChallengeTypes(sp.GetRequiredService<MailOptions>().Listeners)));
        services.AddSingleton(sp => new AcmeCertificates(
            sp.GetRequiredService<MailOptions>(), sp.GetRequiredService<AcmeChallengeStore>(),
            // Shared only where every edge sees the same store (S3); the spool's bodies folder is one machine's.
            QueueServices.UsesSqs(sp) ? sp.GetRequiredService<IBlobStore>() : null,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AcmeCertificates>>()));
        services.AddHostedService(sp => sp.GetRequiredService<AcmeCertificates>());
        return services;
    }

    /// <summary>
    /// The challenges this server can answer, the one its listeners suit best first: http-01 with a port-80 listener,
    /// tls-alpn-01 with an HTTPS one, else http-01 on the HTTP listener (behind a proxy that forwards port 80).
    /// </summary>
    public static IReadOnlyList<string> ChallengeTypes(ListenerOptions listeners)
    {
        ArgumentNullException.ThrowIfNull(listeners);
        return listeners.AcmeHttp > 0 || listeners.Https == 0
            ? [AcmeChallenges.Http01, AcmeChallenges.TlsAlpn01]
            : [AcmeChallenges.TlsAlpn01, AcmeChallenges.Http01];
    }

    public static void MapAcmeChallenges(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var port = app.Services.GetRequiredService<MailOptions>().Listeners.AcmeHttp;
        app.Use(async (context, next) =>
        {
            // Port 80 is open to the world for the CA: it answers challenges and nothing else.
            if (port > 0 && context.Connection.LocalPort == port &&
                !context.Request.Path.StartsWithSegments(AcmeChallenges.Http01PathPrefix.TrimEnd('/'), StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });
        // RFC 8555 §8.3: the key authorization, as it is.
        app.MapGet(AcmeChallenges.Http01PathPrefix + "{token}", (string token, AcmeChallengeStore store) =>
            store.Http01(token) is { } keyAuthorization ? Results.Text(keyAuthorization, "application/octet-stream") : Results.NotFound());
    }
}
