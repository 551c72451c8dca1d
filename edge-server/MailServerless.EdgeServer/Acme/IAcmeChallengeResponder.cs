namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// Puts up what the CA fetches to validate an identifier, and takes it down after (RFC 8555 §8):
/// for <c>http-01</c> the body <see cref="AcmeChallengeResponse.KeyAuthorization"/> at
/// <see cref="AcmeChallengeResponse.Http01Path"/> on port 80 (§8.3); for <c>tls-alpn-01</c> the certificate from
/// <see cref="AcmeChallenges.TlsAlpn01Certificate"/> to a TLS client on port 443 that offers only ALPN
/// <c>acme-tls/1</c> and names the identifier in SNI (RFC 8737 §3).
/// </summary>
public interface IAcmeChallengeResponder
{
    /// <summary>The challenge types it answers, the preferred first (<see cref="AcmeChallenges.Http01"/>, ...).</summary>
    IReadOnlyList<string> ChallengeTypes { get; }

    Task PublishAsync(AcmeChallengeResponse response, CancellationToken cancellationToken);

    Task WithdrawAsync(AcmeChallengeResponse response, CancellationToken cancellationToken);
}

/// <summary>One challenge to answer: its type, the host name it is for, its token and key authorization (§8.1).</summary>
public sealed record AcmeChallengeResponse(string Type, string Name, string Token, string KeyAuthorization)
{
    /// <summary>Where http-01 looks (RFC 8555 §8.3).</summary>
    public string Http01Path => AcmeChallenges.Http01PathPrefix + Token;
}
