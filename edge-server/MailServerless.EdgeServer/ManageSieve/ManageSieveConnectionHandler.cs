using MailServerless.EdgeServer.Protocol;
using Microsoft.AspNetCore.Connections;

namespace MailServerless.EdgeServer.ManageSieve;

/// <summary>Kestrel's entry for ManageSieve (RFC 5804, port 4190, STARTTLS).</summary>
public sealed class ManageSieveConnectionHandler(ManageSieveServices services, ILogger<ManageSieveSession> logger, IHostApplicationLifetime lifetime)
    : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var protocol = new ProtocolConnection(connection);
        if (!await ClientAdmission.TryAdmitAsync(protocol, "managesieve", services.Connections, false, "BYE \"Too many connections from your address.\"", logger))
        {
            return;
        }

        using var active = Core.Diagnostics.MailMetrics.Session("managesieve");
        try
        {
            var session = new ManageSieveSession(protocol, services, logger);
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            services.Connections.Close(protocol.RemoteAddress);
        }
    }
}
