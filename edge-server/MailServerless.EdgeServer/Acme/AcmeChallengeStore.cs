using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// The challenges being answered now, where the listeners find them: an http-01 token's key authorization for
/// <c>/.well-known/acme-challenge/{token}</c> (the HTTP listeners), a tls-alpn-01 certificate per host name (the
/// HTTPS listener, to a client that offers only <c>acme-tls/1</c>). http-01 is preferred when a listener can answer
/// it (<c>Mail:Listeners:AcmeHttp</c> or <c>Http</c> behind a proxy), tls-alpn-01 when only HTTPS is there.
/// </summary>
public sealed class AcmeChallengeStore(IReadOnlyList<string> challengeTypes) : IAcmeChallengeResponder
{
    private readonly ConcurrentDictionary<string, string> _http = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, X509Certificate2> _alpn = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<string> ChallengeTypes { get; } = challengeTypes;

    public Task PublishAsync(AcmeChallengeResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Type == AcmeChallenges.TlsAlpn01)
        {
            _alpn[response.Name] = AcmeChallenges.TlsAlpn01Certificate(response.Name, response.KeyAuthorization);
        }
        else
        {
            _http[response.Token] = response.KeyAuthorization;
        }

        return Task.CompletedTask;
    }

    public Task WithdrawAsync(AcmeChallengeResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Type == AcmeChallenges.TlsAlpn01)
        {
            if (_alpn.TryRemove(response.Name, out var certificate))
            {
                certificate.Dispose();
            }
        }
        else
        {
            _http.TryRemove(response.Token, out _);
        }

        return Task.CompletedTask;
    }

    /// <summary>The key authorization to answer for an http-01 token; null for a token not asked now.</summary>
    public string? Http01(string token) => _http.GetValueOrDefault(token);

    /// <summary>The tls-alpn-01 certificate for a host name; null when none is asked now.</summary>
    public X509Certificate2? TlsAlpn01(string? name) => name is null ? null : _alpn.GetValueOrDefault(name);
}
