using System.Net;
using MailServerless.Core.Dns;

namespace MailServerless.Functions.Outbound;

/// <summary>One SMTP server to hand mail to, and how to talk to it.</summary>
/// <param name="Host">Its name: what TLS checks and what logs and bounces show.</param>
/// <param name="Address">Where to connect; null lets the system resolve <paramref name="Host"/>.</param>
/// <param name="ImplicitTls">TLS from the first byte (port 465) rather than STARTTLS.</param>
/// <param name="RequireTls">Without TLS, do not send.</param>
/// <param name="VerifyCertificate">Check the certificate (a smarthost, an MX under MTA-STS); opportunistic TLS to an MX does not.</param>
public sealed record SmtpTarget(
    string Host, IPAddress? Address, int Port, bool ImplicitTls, bool RequireTls, bool VerifyCertificate, string? Username = null, string? Password = null)
{
    /// <summary>DANE: the certificate must match one of these TLSA records (RFC 7672 §3) instead of a certificate authority.</summary>
    public IReadOnlyList<Tlsa>? Tlsa { get; init; }

    /// <summary>The policy that set the security asked for, as a TLS report names it (RFC 8460 §4.2).</summary>
    public string PolicyType { get; init; } = "no-policy-found";

    /// <summary>
    /// The key connections are pooled and limited under: a connection made under one security level is never
    /// reused for mail that asks for a stricter one.
    /// </summary>
    public string Destination => $"{Host}[{Address}]:{Port}" + (RequireTls ? "+tls" : string.Empty) + (VerifyCertificate ? "+verified" : string.Empty)
                                 + (Tlsa is { Count: > 0 } ? "+dane" : string.Empty);

    /// <summary>As Postfix names the remote MTA: <c>mx.example.com[192.0.2.1]:25</c>.</summary>
    public string Description => Address is null ? $"{Host}:{Port}" : $"{Host}[{Address}]:{Port}";
}
