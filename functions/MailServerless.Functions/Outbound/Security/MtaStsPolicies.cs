using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using MailServerless.Core.Dns;
using Microsoft.Extensions.Logging;

namespace MailServerless.Functions.Outbound.Security;

/// <summary>
/// Finds, fetches and keeps recipient domains' MTA-STS policies (RFC 8461 §3, §5.1): the <c>_mta-sts</c> TXT record
/// announces a policy and its id; the policy is fetched from <c>https://mta-sts.{domain}/.well-known/mta-sts.txt</c>
/// (a certificate that verifies, no redirect, at most 64 KiB) and kept for its max_age. A changed id fetches it again;
/// a missing record or a failed fetch leaves a kept policy in force until it expires.
/// </summary>
public sealed partial class MtaStsPolicies : IDisposable
{
    /// <summary>Domains kept at most; beyond that the expired go first, then any.</summary>
    private const int MaxDomains = 10_000;

    /// <summary>After a failed fetch, the domain's policy is not fetched again for this long (each message would wait).</summary>
    private static readonly TimeSpan RetryFetchAfter = TimeSpan.FromMinutes(5);

    private readonly IDnsLookup _dns;
    private readonly RelayOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, (MtaStsPolicy Policy, DateTimeOffset Expires)> _policies = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _failedFetches = new(StringComparer.OrdinalIgnoreCase);

    public MtaStsPolicies(IDnsLookup dns, RelayOptions options, CertificateTrust trust, TimeProvider clock, ILogger<MtaStsPolicies> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trust);
        (_dns, _options, _clock, _logger) = (dns, options, clock, logger);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // §3.3: redirects are not followed
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        handler.SslOptions.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => trust.Problem(certificate, chain, errors) is null;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The policy in force for <paramref name="domain"/>, or null when it has none.</summary>
    public async Task<MtaStsPolicy?> GetAsync(string domain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var now = _clock.GetUtcNow();
        var kept = _policies.TryGetValue(domain, out var entry) && entry.Expires > now ? entry.Policy : null;
        var txt = await _dns.TxtAsync($"_mta-sts.{domain}", cancellationToken);
        var id = txt.Status == DnsStatus.Found ? MtaStsPolicy.IdFromTxt(txt.Records) : null;
        if (id is null || kept?.Id == id || (_failedFetches.TryGetValue(domain, out var failedAt) && now - failedAt < RetryFetchAfter))
        {
            return kept;
        }

        var (policy, resultType, reason) = await FetchAsync(domain, id, cancellationToken);
        if (policy is null)
        {
            // §5.1: without a policy we can fetch, mail goes as if there were none (or under the one kept).
            if (_failedFetches.Count >= MaxDomains)
            {
                foreach (var (key, at) in _failedFetches)
                {
                    if (now - at >= RetryFetchAfter || _failedFetches.Count >= MaxDomains)
                    {
                        _failedFetches.TryRemove(key, out _);
                    }
                }
            }

            _failedFetches[domain] = now;
            LogPolicyFailure(domain, new TlsFailureReport(resultType!, string.Empty, null, domain, reason!) { PolicyType = "sts" }.ToJson());
            return kept;
        }

        _failedFetches.TryRemove(domain, out _);
        Keep(domain, policy, now);
        LogPolicyFetched(domain, policy.Id, policy.Mode, policy.MaxAge);
        return policy;
    }

    private async Task<(MtaStsPolicy? Policy, string? ResultType, string? Reason)> FetchAsync(string domain, string id, CancellationToken cancellationToken)
    {
        var port = _options.MtaStsPort == 443 ? string.Empty : $":{_options.MtaStsPort}";
        var url = new Uri($"https://mta-sts.{domain}{port}/.well-known/mta-sts.txt");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.MtaStsFetchTimeout);
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (null, "sts-policy-fetch-error", $"{url} answered HTTP {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentType?.MediaType is { } type && !type.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                return (null, "sts-policy-invalid", $"{url} is {type}, not text/plain");
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = new byte[MtaStsPolicy.MaxBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), timeout.Token)) > 0)
            {
                length += read;
            }

            if (length > MtaStsPolicy.MaxBytes)
            {
                return (null, "sts-policy-invalid", $"{url} is larger than 64 KiB");
            }

            var policy = MtaStsPolicy.Parse(id, Encoding.UTF8.GetString(buffer, 0, length), out var error);
            return policy is null ? (null, "sts-policy-invalid", $"{url}: {error}") : (policy, null, null);
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException)
        {
            return (null, "sts-webpki-invalid", $"{url}: the policy host's certificate does not verify");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, "sts-policy-fetch-error", $"{url}: {e.Message}".ReplaceLineEndings(" "));
        }
    }

    private void Keep(string domain, MtaStsPolicy policy, DateTimeOffset now)
    {
        if (_policies.Count >= MaxDomains)
        {
            foreach (var (key, value) in _policies)
            {
                if (value.Expires <= now || _policies.Count >= MaxDomains)
                {
                    _policies.TryRemove(key, out _);
                }
            }
        }

        _policies[domain] = (policy, now + policy.MaxAge);
    }

    /// <summary>The policy host's name resolved with the server's own resolver (<c>Mail:Dns</c>), as MX hosts are.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = new List<IPAddress>();
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses.Add(literal);
        }
        else
        {
            foreach (var ipv6 in new[] { false, true })
            {
                addresses.AddRange((await _dns.AddressesAsync(host, ipv6, cancellationToken)).Records);
            }
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(address, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HttpRequestException($"cannot connect to {host}:{context.DnsEndPoint.Port}: {last?.Message ?? "it has no address"}", last);
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 5120, Level = LogLevel.Information, Message = "mta-sts: {Domain}: policy {Id} mode={Mode} max_age={MaxAge}")]
    private partial void LogPolicyFetched(string domain, string id, MtaStsMode mode, TimeSpan maxAge);

    [LoggerMessage(EventId = 5121, Level = LogLevel.Warning, Message = "mta-sts: {Domain}: tls-rpt failure {Report}")]
    private partial void LogPolicyFailure(string domain, string report);
}
