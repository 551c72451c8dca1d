using MailServerless.Core.Queue;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// What the sender asked of the way a message goes on: its DSN requests (RFC 3461), passed to a next hop that takes
/// them, and REQUIRETLS (RFC 8689): only over TLS with a verified certificate, to a next hop that offers REQUIRETLS too.
/// </summary>
public sealed record SendRequests(DsnRequest? Dsn = null, bool RequireTls = false)
{
    public static SendRequests None { get; } = new();

    public static SendRequests Of(QueuedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new SendRequests(message.Dsn, message.RequireTls);
    }
}
