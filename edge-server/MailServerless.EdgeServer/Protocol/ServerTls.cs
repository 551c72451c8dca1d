using System.Net.Security;
using System.Security.Authentication;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// What every TLS listener offers (SMTP, IMAP and POP3 with STARTTLS or implicit TLS, and HTTPS): TLS 1.2 and
/// 1.3, and only AEAD suites with forward secrecy (Mozilla's "intermediate" list without DHE), for RSA and
/// ECDSA certificates alike; no CBC suite, as the BEAST/Lucky13 family and RFC 9325 §4.2 advise.
/// </summary>
public static class ServerTls
{
    private static readonly TlsCipherSuite[] Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    public static SslServerAuthenticationOptions Options(SslStreamCertificateContext certificate, List<SslApplicationProtocol>? protocols = null)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
            ApplicationProtocols = protocols,
        };
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            options.CipherSuitesPolicy = new CipherSuitesPolicy(Suites);
        }

        return options;
    }
}
