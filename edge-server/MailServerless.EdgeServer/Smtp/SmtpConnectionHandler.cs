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
        var kind = services.KindOf(protocol.LocalPort);
        var refusal = $"421 4.7.0 {services.Mail.EffectiveHostName} Error: too many connections from {protocol.RemoteAddress}";
        if (!await ClientAdmission.TryAdmitAsync(protocol, "smtp", services.Connections, kind == SmtpListenerKind.Submissions, refusal, logger))
        {
            return;
        }

        using var active = Core.Diagnostics.MailMetrics.Session("smtp");
        try
        {
            var session = new SmtpSession(protocol, kind, services, logger);
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            services.Connections.Close(protocol.RemoteAddress);
        }
    }
}
