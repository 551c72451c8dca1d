using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// ACME over HTTPS (RFC 8555 §6): the directory, nonces (§6.5, §7.2), signed POSTs (§6.2) and POST-as-GET (§6.3),
/// and problem documents turned into <see cref="AcmeException"/>. One request at a time: not thread-safe.
/// </summary>
internal sealed class AcmeTransport
{
    private const string JoseJson = "application/jose+json";
    private readonly HttpClient _http;
    private readonly Uri _directoryUrl;
    private readonly AcmeJws _jws;
    private AcmeDirectory? _directory;

    public AcmeTransport(HttpClient http, Uri directoryUrl, AcmeJws jws)
    {
        _http = http;
        _directoryUrl = directoryUrl;
        _jws = jws;
    }

    /// <summary>The account URL, the <c>kid</c> of every request after newAccount (RFC 8555 §6.2).</summary>
    public Uri? Account { get; set; }

    /// <summary>The next nonce to use: the last <c>Replay-Nonce</c> seen (RFC 8555 §6.5.1), or none.</summary>
    internal string? Nonce { get; set; }

    /// <summary>How many requests were sent again after a <c>badNonce</c> (RFC 8555 §6.5).</summary>
    internal int BadNonceRetries { get; private set; }

    public async Task<AcmeDirectory> DirectoryAsync(CancellationToken cancellationToken)
    {
        if (_directory is null)
        {
            using var response = await _http.GetAsync(_directoryUrl, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new AcmeException($"ACME directory {_directoryUrl}: HTTP {(int)response.StatusCode}", ParseProblem(body));
            }

            _directory = Parse(body, AcmeJsonContext.Default.AcmeDirectory, $"directory {_directoryUrl}");
        }

        return _directory;
    }

    /// <summary>
    /// A signed POST of <paramref name="payload"/> (null: POST-as-GET), with <c>kid</c> unless
    /// <paramref name="withJwk"/>; sent once more with the fresh nonce when the server answers <c>badNonce</c> (§6.5).
    /// </summary>
    public async Task<AcmeReply> PostAsync(Uri url, byte[]? payload, string what, CancellationToken cancellationToken,
        bool withJwk = false, string? accept = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var nonce = Nonce ?? await NewNonceAsync(cancellationToken);
            Nonce = null; // a nonce is good for one request
            var account = withJwk ? null : Account ?? throw new InvalidOperationException("no ACME account yet");
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            request.Content = new ByteArrayContent(_jws.Sign(url, nonce, account, payload));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseJson);
            if (accept is not null)
            {
                request.Headers.Accept.ParseAdd(accept);
            }

            using var response = await _http.SendAsync(request, cancellationToken);
            Nonce = ReplayNonce(response);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var location = response.Headers.Location is { } l ? new Uri(url, l) : null;
                return new AcmeReply(response.StatusCode, location, RetryAfter(response), body);
            }

            var problem = ParseProblem(body);
            if (problem?.Type == AcmeProblem.BadNonce && attempt == 1 && Nonce is not null)
            {
                BadNonceRetries++;
                continue;
            }

            throw new AcmeException($"ACME {what}: HTTP {(int)response.StatusCode}{(problem is null ? Excerpt(body) : string.Empty)}", problem);
        }
    }

    public static T Parse<T>(byte[] body, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new AcmeException($"ACME {what}: the server's answer is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }

    // RFC 8555 §7.2: HEAD newNonce answers with a Replay-Nonce.
    private async Task<string> NewNonceAsync(CancellationToken cancellationToken)
    {
        var directory = await DirectoryAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Head, directory.NewNonce);
        using var response = await _http.SendAsync(request, cancellationToken);
        return ReplayNonce(response) ??
               throw new AcmeException($"ACME newNonce {directory.NewNonce}: HTTP {(int)response.StatusCode} without a Replay-Nonce");
    }

    private static string? ReplayNonce(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Replay-Nonce", out var values) ? values.FirstOrDefault() : null;

    // RFC 8555 §7.4, §8.2: Retry-After (RFC 9110 §10.2.3) as seconds or a date.
    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };

    private static string Excerpt(byte[] body) =>
        body.Length == 0 ? string.Empty : $": {System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).ReplaceLineEndings(" ")}";

    // RFC 7807 §3: application/problem+json; anything else that is not JSON has no problem to show.
    private static AcmeProblem? ParseProblem(byte[] body)
    {
        try
        {
            return body.Length > 0 ? JsonSerializer.Deserialize(body, AcmeJsonContext.Default.AcmeProblem) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A successful answer: its status, <c>Location</c> (resolved), <c>Retry-After</c> and body.</summary>
internal sealed record AcmeReply(HttpStatusCode Status, Uri? Location, TimeSpan? RetryAfter, byte[] Body);
