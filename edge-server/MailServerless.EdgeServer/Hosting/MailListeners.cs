using System.Net;
using Microsoft.AspNetCore.Connections;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Binds Kestrel to the configured ports (explicit binds replace ASP.NET's default URLs).</summary>
public static class MailListeners
{
    /// <param name="mail">False: only the HTTP listener (a worker's or the admin API's process).</param>
    public static IWebHostBuilder ConfigureMailListeners(this IWebHostBuilder webHost, MailOptions options, bool mail = true)
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

            if (!mail)
            {
                return;
            }

            foreach (var (_, port) in SmtpHosting.SmtpPorts(options))
            {
                kestrel.Listen(address, port, listen => listen.UseConnectionHandler<Smtp.SmtpConnectionHandler>());
            }

            foreach (var (_, port) in SmtpHosting.ImapPorts(options))
            {
                kestrel.Listen(address, port, listen => listen.UseConnectionHandler<Imap.ImapConnectionHandler>());
            }

            foreach (var (_, port) in SmtpHosting.Pop3Ports(options))
            {
                kestrel.Listen(address, port, listen => listen.UseConnectionHandler<Pop3.Pop3ConnectionHandler>());
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
        var mode = ServerModes.Parse(options.Mode);
        if (options.Listeners.Http > 0)
        {
            console.WriteLine($"Listening: http http://{options.Listeners.Address}:{options.Listeners.Http} ({(mode.ServesApi() ? "status, admin API" : "status")})");
        }

        foreach (var (name, port) in mode.ServesMail() ? SmtpHosting.SmtpPorts(options).Concat(SmtpHosting.ImapPorts(options)).Concat(SmtpHosting.Pop3Ports(options)) : [])
        {
            console.WriteLine($"Listening: {name} {options.Listeners.Address}:{port}");
        }

        console.WriteLine($"Mode {options.Mode}; directory {app.Services.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>().Description}; " +
                          $"Maildir base {options.EffectiveStorePath}; host name {options.EffectiveHostName}.");
    }
}
