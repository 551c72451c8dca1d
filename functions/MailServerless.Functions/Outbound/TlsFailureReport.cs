using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// A failed TLS negotiation with a next hop, in the terms of an SMTP TLS report (RFC 8460 §4.3, "failure-details"):
/// its result-type, the receiving MX and address, and what else is known. Written to the log as one JSON object, so
/// that reports can be put together from the log until they are sent.
/// </summary>
public sealed record TlsFailureReport(
    [property: JsonPropertyName("result-type")] string ResultType,
    [property: JsonPropertyName("receiving-mx-hostname")] string ReceivingMxHostname,
    [property: JsonPropertyName("receiving-ip")] string? ReceivingIp,
    [property: JsonPropertyName("policy-domain")] string PolicyDomain,
    [property: JsonPropertyName("additional-information")] string AdditionalInformation)
{
    /// <summary>RFC 8460 §4.2's policy-type: "tlsa" (DANE), "sts" (MTA-STS) or "no-policy-found" (opportunistic TLS).</summary>
    [JsonPropertyName("policy-type")]
    public string PolicyType { get; init; } = "no-policy-found";

    [JsonPropertyName("failed-session-count")]
    public int FailedSessionCount { get; init; } = 1;

    public string ToJson() => JsonSerializer.Serialize(this, TlsReportJsonContext.Default.TlsFailureReport);

    /// <summary>RFC 8460 §4.3.2.2's certificate result-types, from what validation found; null when it found nothing wrong.</summary>
    public static string? CertificateResultType(SslPolicyErrors errors, X509ChainStatusFlags chainStatus)
    {
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return "validation-failure";
        }

        // A certificate no one vouches for says more than the name it carries.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            return chainStatus.HasFlag(X509ChainStatusFlags.NotTimeValid) ? "certificate-expired" : "certificate-not-trusted";
        }

        return errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) ? "certificate-host-mismatch" : null;
    }
}

[JsonSerializable(typeof(TlsFailureReport))]
internal sealed partial class TlsReportJsonContext : JsonSerializerContext;
