using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Binds Kestrel to the configured ports (explicit binds replace ASP.NET's default URLs).</summary>
public static class MailListeners
{
    private const string AlpnOffered = "MailServerless.AlpnOffered";

    /// <summary>RFC 8737 §3: a validating client offers acme-tls/1 and nothing else.</summary>
    private static bool OffersOnlyAcme(object? offered) => offered is IReadOnlyList<string> { Count: 1 } protocols && protocols[0] == Acme.AcmeChallenges.AlpnProtocol;

    /// <param name="mail">False: only the HTTP listener (a worker's or the admin API's process).</param>
    public static IWebHostBuilder ConfigureMailListeners(this IWebHostBuilder webHost, bool mail = true) =>
        webHost.ConfigureKestrel(kestrel =>
        {
            // The settings as bound and checked at start (SettingsRegistration), read when the server is made.
            var options = kestrel.ApplicationServices.GetRequiredService<MailOptions>();
            var certificates = kestrel.ApplicationServices.GetRequiredService<Protocol.TlsCertificateProvider>();
            kestrel.AddServerHeader = false;
            foreach (var (setting, address, port, handler) in Listeners(options, mail))
            {
                if (setting == "Https")
                {
                    // The mail ports' certificate (reloaded when renewed), TLS 1.2+ with AEAD suites only; to a client that
                    // offers only acme-tls/1 for a name being validated, the tls-alpn-01 certificate (RFC 8737 §3).
                    var challenges = kestrel.ApplicationServices.GetRequiredService<Acme.AcmeChallengeStore>();
                    kestrel.Listen(IPAddress.Parse(address), port, l =>
                    {
                        if (options.Tls.Acme.Enabled)
                        {
                            l.Use(next => async connection =>
                            {
                                using var peek = new CancellationTokenSource(certificates.HandshakeTimeout);
                                try
                                {
                                    connection.Items[AlpnOffered] = await Protocol.TlsClientHello.PeekAlpnAsync(connection.Transport.Input, peek.Token);
                                }
                                catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
                                {
                                    // Nothing (or too little) came in time, or the client went: nothing to serve it.
                                    connection.Abort();
                                    return;
                                }

                                await next(connection);
                            });
                        }

                        l.UseHttps(new TlsHandshakeCallbackOptions
                        {
                            HandshakeTimeout = certificates.HandshakeTimeout,
                            OnConnection = context => ValueTask.FromResult(
                                context.Connection.Items.TryGetValue(AlpnOffered, out var offered) && OffersOnlyAcme(offered) &&
                                challenges.TlsAlpn01(context.ClientHelloInfo.ServerName) is { } challenge
                                    ? new SslServerAuthenticationOptions
                                    {
                                        ServerCertificate = challenge,
                                        ApplicationProtocols = [new SslApplicationProtocol(Acme.AcmeChallenges.AlpnProtocol)],
                                        EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                                    }
                                    : Protocol.ServerTls.Options(certificates.Context, [SslApplicationProtocol.Http11])),
                        });
                    });
                }
                else if (handler is null)
                {
                    kestrel.Listen(IPAddress.Parse(address), port);
                }
                else
                {
                    kestrel.Listen(IPAddress.Parse(address), port, handler);
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

    /// <summary>Each listener that is on: its setting's name, its address and port, and what serves it (null: HTTP).</summary>
    public static IEnumerable<(string Setting, string Address, int Port, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions>? Handler)> Listeners(
        MailOptions options, bool mail)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listeners = options.Listeners;
        (string, int, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions>?)[] all =
        [
            ("Http", listeners.Http, null),
            ("Https", listeners.Https, null),
            ("Metrics", listeners.Metrics, null),
            ("AcmeHttp", listeners.AcmeHttp, null),
            ("Smtp", mail ? listeners.Smtp : 0, l => l.UseConnectionHandler<Smtp.SmtpConnectionHandler>()),
            ("Submission", mail ? listeners.Submission : 0, l => l.UseConnectionHandler<Smtp.SmtpConnectionHandler>()),
            ("Submissions", mail ? listeners.Submissions : 0, l => l.UseConnectionHandler<Smtp.SmtpConnectionHandler>()),
            ("Imap", mail ? listeners.Imap : 0, l => l.UseConnectionHandler<Imap.ImapConnectionHandler>()),
            ("Imaps", mail ? listeners.Imaps : 0, l => l.UseConnectionHandler<Imap.ImapConnectionHandler>()),
            ("Pop3", mail ? listeners.Pop3 : 0, l => l.UseConnectionHandler<Pop3.Pop3ConnectionHandler>()),
            ("Pop3s", mail ? listeners.Pop3s : 0, l => l.UseConnectionHandler<Pop3.Pop3ConnectionHandler>()),
            ("ManageSieve", mail ? listeners.ManageSieve : 0, l => l.UseConnectionHandler<ManageSieve.ManageSieveConnectionHandler>()),
        ];
        return all.Where(l => l.Item2 > 0)
            .Select(l => (l.Item1, l.Item1 switch
            {
                "Http" or "Https" => listeners.HttpAddress,
                "Metrics" => listeners.MetricsAddress,
                // The CA connects from the internet, to the mail ports' address.
                "AcmeHttp" => listeners.Address,
                _ => listeners.Address,
            }, l.Item2, l.Item3));
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
            console.WriteLine($"Listening: http http://{options.Listeners.HttpAddress}:{options.Listeners.Http} ({(mode.ServesApi() ? "status, admin API" : "status")})");
        }

        if (options.Listeners.Https > 0)
        {
            console.WriteLine($"Listening: https https://{options.Listeners.HttpAddress}:{options.Listeners.Https} ({(mode.ServesApi() ? "status, admin API" : "status")})");
        }

        if (options.Listeners.AcmeHttp > 0)
        {
            console.WriteLine($"Listening: acme-http http://{options.Listeners.Address}:{options.Listeners.AcmeHttp}/.well-known/acme-challenge/ (ACME http-01 only)");
        }

        if (options.Listeners.Metrics > 0)
        {
            console.WriteLine($"Listening: metrics http://{options.Listeners.MetricsAddress}:{options.Listeners.Metrics}/metrics (no login)");
        }

        foreach (var (name, port) in mode.ServesMail() ? SmtpHosting.SmtpPorts(options).Concat(SmtpHosting.ImapPorts(options)).Concat(SmtpHosting.Pop3Ports(options))
                     .Concat(options.Listeners.ManageSieve > 0 ? [("managesieve", options.Listeners.ManageSieve)] : []) : [])
        {
            console.WriteLine($"Listening: {name} {options.Listeners.Address}:{port}");
        }

        console.WriteLine($"Mode {options.Mode}; directory {app.Services.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>().Description}; " +
                          $"Maildir base {options.EffectiveStorePath}; host name {options.EffectiveHostName}.");
    }
}
