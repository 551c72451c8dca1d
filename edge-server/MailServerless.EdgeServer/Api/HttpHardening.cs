using System.Net;
using MailServerless.Core.Configuration;
using Microsoft.AspNetCore.HttpOverrides;

namespace MailServerless.EdgeServer.Api;

/// <summary>
/// What every HTTP answer gets before anything else runs: the client as a trusted proxy names it
/// (<c>X-Forwarded-For</c>/<c>-Proto</c>, only from <c>Mail:Listeners:TrustedProxies</c>), so that the login
/// throttle and the log see the real client; and headers that keep answers out of caches and sniffers.
/// </summary>
public static class HttpHardening
{
    public static void UseHttpHardening(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var listeners = app.Services.GetRequiredService<MailOptions>().Listeners;
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // A chain of proxies is walked back as far as the proxies are trusted.
            ForwardLimit = null,
        };
        // ASP.NET Core trusts loopback by default; here only what the operator names is.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in listeners.TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPAddress.TryParse(proxy, out var address))
            {
                forwarded.KnownProxies.Add(address);
            }
            else
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
            }
        }

        // With neither list filled the middleware would trust everyone: no trusted proxy, no middleware.
        if (forwarded.KnownProxies.Count + forwarded.KnownIPNetworks.Count > 0)
        {
            app.UseForwardedHeaders(forwarded);
        }

        app.Use((context, next) =>
        {
            // Answers carry passwords' outcomes, API key secrets and mailbox data: never cached, never sniffed.
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return next(context);
        });
    }

    /// <summary>The client's address as the hardening above left it (an IPv4-mapped address as IPv4).</summary>
    public static IPAddress ClientAddress(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var remote = context.Connection.RemoteIpAddress ?? IPAddress.None;
        return remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
    }
}
