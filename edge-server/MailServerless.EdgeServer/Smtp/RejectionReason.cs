namespace MailServerless.EdgeServer.Smtp;

/// <summary>
/// The reason a refusal counts under in <c>mailserverless_smtp_rejected_total</c>, read from the reply the client got:
/// every refusal is logged and counted at one place, whatever check made it, so the label is derived from what the
/// reply says (its enhanced status code, RFC 3463, and the words our checks put in it).
/// </summary>
public static class RejectionReason
{
    public static string Of(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply switch
        {
            _ when reply.Contains("Relay access denied", StringComparison.Ordinal) => "relay",
            _ when reply.Contains("DMARC", StringComparison.Ordinal) => "dmarc",
            _ when reply.Contains("SPF", StringComparison.Ordinal) => "spf",
            _ when reply.Contains(" 5.1.1 ", StringComparison.Ordinal) => "unknown_user",
            _ when reply.Contains(".2.2 ", StringComparison.Ordinal) => "quota",
            _ when reply.Contains(" 5.3.4 ", StringComparison.Ordinal) => "size",
            _ when reply.Contains("Sender address rejected", StringComparison.Ordinal) => "sender",
            _ when reply.Contains("header", StringComparison.OrdinalIgnoreCase) => "header",
            _ when reply.Contains(" 4.3.0 ", StringComparison.Ordinal) => "temporary",
            // What is left of 5.7.1/4.7.1 comes from the spam filter (its own message, or ours).
            _ when reply.Contains(".7.1 ", StringComparison.Ordinal) => "spam",
            _ => "other",
        };
    }
}
