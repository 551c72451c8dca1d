using System.Net;
using MailServerless.Core.Configuration;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Binds Kestrel to the configured ports (explicit binds replace ASP.NET's default URLs).</summary>
public static class MailListeners
{
    public static IWebHostBuilder ConfigureMailListeners(this IWebHostBuilder webHost, MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.Listeners.Address, out var address))
        {
            throw new ArgumentException($"Mail:Listeners:Address '{options.Listeners.Address}' is not an IP address.");
        }

        return webHost.ConfigureKestrel(kestrel =>
        {
            if (options.Listeners.Http > 0)
            {
                kestrel.Listen(address, options.Listeners.Http);
            }
        });
    }
}

/// <summary>Prints what is listening where, once the server has started.</summary>
public static class ListenerReport
{
    public static void Print(WebApplication app, MailOptions options, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var url in addresses)
        {
            console.WriteLine($"Listening: http {url} (status, admin API)");
        }

        console.WriteLine($"Mode {options.Mode}; directory {app.Services.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>().Description}; " +
                          $"Maildir base {options.EffectiveStorePath}; host name {options.EffectiveHostName}.");
    }
}
