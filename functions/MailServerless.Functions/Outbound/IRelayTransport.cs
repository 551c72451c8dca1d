using MailServerless.Core.Queue;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>Sends one message to a set of outside recipients and tells what happened to each.</summary>
public interface IRelayTransport
{
    /// <param name="envelopeSender">The envelope sender; empty for the null sender.</param>
    /// <param name="dsn">The sender's DSN requests (RFC 3461), passed on to a next hop that takes them.</param>
    Task<IReadOnlyList<RecipientOutcome>> SendAsync(
        string envelopeSender, IReadOnlyList<string> recipients, MimeMessage message, DsnRequest? dsn, CancellationToken cancellationToken);
}
