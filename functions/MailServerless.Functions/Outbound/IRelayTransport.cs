using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>Sends one message to a set of outside recipients and tells what happened to each.</summary>
public interface IRelayTransport
{
    /// <param name="envelopeSender">The envelope sender; empty for the null sender.</param>
    /// <param name="requests">The sender's DSN and REQUIRETLS requests.</param>
    Task<IReadOnlyList<RecipientOutcome>> SendAsync(
        string envelopeSender, IReadOnlyList<string> recipients, MimeMessage message, SendRequests requests, CancellationToken cancellationToken);
}
