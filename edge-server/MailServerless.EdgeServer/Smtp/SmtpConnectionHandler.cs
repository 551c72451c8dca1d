using MailServerless.EdgeServer.Protocol;
using Microsoft.AspNetCore.Connections;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>Kestrel's entry for the SMTP listeners (25/587/465 or the local 2525/2587/2465).</summary>
public sealed class SmtpConnectionHandler(SmtpServices services, ILogger<SmtpSession> logger, IHostApplicationLifetime lifetime) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var protocol = new ProtocolConnection(connection);
        if (!services.Connections.TryOpen(protocol.RemoteAddress))
        {
            protocol.Write($"421 4.7.0 {services.Mail.EffectiveHostName} Error: too many connections from {protocol.RemoteAddress}");
            await protocol.FlushAsync();
            return;
        }

        try
        {
            var session = new SmtpSession(protocol, services.KindOf(protocol.LocalPort), services, logger);
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            services.Connections.Close(protocol.RemoteAddress);
        }
    }
}
