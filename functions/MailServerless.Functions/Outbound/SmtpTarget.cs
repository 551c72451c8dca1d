using System.Net;

namespace MailServerless.Functions.Outbound;

/// <summary>One SMTP server to hand mail to, and how to talk to it.</summary>
/// <param name="Host">Its name: what TLS checks and what logs and bounces show.</param>
/// <param name="Address">Where to connect; null lets the system resolve <paramref name="Host"/>.</param>
/// <param name="ImplicitTls">TLS from the first byte (port 465) rather than STARTTLS.</param>
/// <param name="RequireTls">Without TLS, do not send.</param>
/// <param name="VerifyCertificate">Check the certificate (a smarthost); opportunistic TLS to an MX does not.</param>
public sealed record SmtpTarget(
    string Host, IPAddress? Address, int Port, bool ImplicitTls, bool RequireTls, bool VerifyCertificate, string? Username = null, string? Password = null)
{
    /// <summary>The key connections are pooled and limited under.</summary>
    public string Destination => $"{Host}[{Address}]:{Port}";

    /// <summary>As Postfix names the remote MTA: <c>mx.example.com[192.0.2.1]:25</c>.</summary>
    public string Description => Address is null ? $"{Host}:{Port}" : $"{Host}[{Address}]:{Port}";
}
