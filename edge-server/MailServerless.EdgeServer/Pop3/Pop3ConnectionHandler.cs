using MailServerless.EdgeServer.Protocol;
using Microsoft.AspNetCore.Connections;

namespace MailServerless.EdgeServer.Pop3;

/// <summary>Kestrel's entry for POP3 (110 with STLS, 995 with TLS from the first byte; locally 2110/2995).</summary>
public sealed class Pop3ConnectionHandler(Pop3Services services, ILogger<Pop3Session> logger, IHostApplicationLifetime lifetime) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var protocol = new ProtocolConnection(connection);
        var implicitTls = protocol.LocalPort == services.Mail.Listeners.Pop3s;
        if (!await ClientAdmission.TryAdmitAsync(protocol, "pop3", services.Connections, implicitTls, "-ERR [SYS/TEMP] Too many connections from your address.", logger))
        {
            return;
        }

        using var active = Core.Diagnostics.MailMetrics.Session("pop3");
        try
        {
            await using var session = new Pop3Session(protocol, implicitTls, services, logger);
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            services.Connections.Close(protocol.RemoteAddress);
        }
    }
}
