using MailServerless.EdgeServer.Protocol;
using Microsoft.AspNetCore.Connections;

namespace MailServerless.EdgeServer.Imap;

/// <summary>Kestrel's entry for IMAP (143 with STARTTLS, 993 with TLS from the first byte; locally 2143/2993).</summary>
public sealed class ImapConnectionHandler(ImapServices services, ILogger<ImapSession> logger, IHostApplicationLifetime lifetime) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var protocol = new ProtocolConnection(connection);
        var implicitTls = protocol.LocalPort == services.Mail.Listeners.Imaps;
        if (!await ClientAdmission.TryAdmitAsync(protocol, "imap", services.Connections, implicitTls, "* BYE [UNAVAILABLE] Too many connections from your address.", logger))
        {
            return;
        }

        using var active = Core.Diagnostics.MailMetrics.Session("imap");
        try
        {
            await using var session = new ImapSession(protocol, implicitTls, services, logger);
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            services.Connections.Close(protocol.RemoteAddress);
        }
    }
}
