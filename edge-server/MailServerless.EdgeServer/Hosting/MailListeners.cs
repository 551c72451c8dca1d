using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Binds Kestrel to the configured ports (explicit binds replace ASP.NET's default URLs).</summary>
public static class MailListeners
{
    /// <param name="mail">False: only the HTTP listener (a worker's or the admin API's process).</param>
    public static IWebHostBuilder ConfigureMailListeners(this IWebHostBuilder webHost, bool mail = true) =>
        webHost.ConfigureKestrel(kestrel =>
        {
            // The settings as bound and checked at start (SettingsRegistration), read when the server is made.
            var options = kestrel.ApplicationServices.GetRequiredService<MailOptions>();
            foreach (var (_, port, handler) in Listeners(options, mail))
            {
                var address = IPAddress.Parse(options.Listeners.Address);
                if (handler is null)
                {
                    kestrel.Listen(address, port);
                }
                else
                {
                    kestrel.Listen(address, port, handler);
                }
            }
        });

    /// <summary>
    /// Null when a listening socket can be made on the port now (then closed again), else why not ("Address already
    /// in use", "Permission denied"). Kestrel binds the same way (SO_REUSEADDR on Unix), so the two agree.
    /// </summary>
    public static string? TryBind(string address, int port)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(address), port);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            socket.Bind(endpoint);
            socket.Listen();
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
    }

    /// <summary>Each listener that is on: its setting's name, its port and what serves it (null: HTTP).</summary>
    public static IEnumerable<(string Setting, int Port, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions>? Handler)> Listeners(
        MailOptions options, bool mail)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listeners = options.Listeners;
        (string, int, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions>?)[] all =
        [
            ("Http", listeners.Http, null),
            ("Smtp", mail ? listeners.Smtp : 0, l => l.UseConnectionHandler<Smtp.SmtpConnectionHandler>()),
            ("Submission", mail ? listeners.Submission : 0, l => l.UseConnectionHandler<Smtp.SmtpConnectionHandler>()),
            ("Submissions", mail ? listeners.Submissions : 0, l => l.UseConnectionHandler<Smtp.SmtpConnectionHandler>()),
            ("Imap", mail ? listeners.Imap : 0, l => l.UseConnectionHandler<Imap.ImapConnectionHandler>()),
            ("Imaps", mail ? listeners.Imaps : 0, l => l.UseConnectionHandler<Imap.ImapConnectionHandler>()),
            ("Pop3", mail ? listeners.Pop3 : 0, l => l.UseConnectionHandler<Pop3.Pop3ConnectionHandler>()),
            ("Pop3s", mail ? listeners.Pop3s : 0, l => l.UseConnectionHandler<Pop3.Pop3ConnectionHandler>()),
        ];
        return all.Where(l => l.Item2 > 0);
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
