using System.Net;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>Admits a new connection under its protocol's per-client limit, or refuses it cheaply.</summary>
public static partial class ClientAdmission
{
    /// <summary>
    /// True when the connection is counted and may go on (the caller closes its slot at the end). A
    /// connection over the limit gets <paramref name="refusal"/> in plaintext; on an implicit-TLS port
    /// it is closed without a word, since the client is waiting for a handshake that a plaintext line
    /// would only break, and a flood should not get TLS handshakes for free.
    /// </summary>
    public static async Task<bool> TryAdmitAsync(
        ProtocolConnection protocol, string protocolName, ConnectionLimiter<IPAddress> limiter, bool implicitTls, string refusal, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(limiter);
        var admitted = limiter.TryOpen(protocol.RemoteAddress);
        Core.Diagnostics.MailMetrics.Connection(protocolName, admitted);
        if (admitted)
        {
            return true;
        }

        LogRefused(logger, protocol.RemoteAddress, protocol.LocalPort);
        if (!implicitTls)
        {
            protocol.Write(refusal);
            await protocol.FlushAsync();
        }

        return false;
    }

    [LoggerMessage(EventId = 6040, Level = LogLevel.Warning, Message = "connection limit: refused a connection from [{Client}] on port {Port}")]
    private static partial void LogRefused(ILogger logger, IPAddress client, int port);
}
