using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// An ACME client (RFC 8555) for one account key: the account (§7.3), an order for host names answered by
/// http-01 or tls-alpn-01 (§7.4, §7.5, §8.3, RFC 8737), the PEM chain (§7.4.2), and revocation (§7.6).
/// One operation at a time: not thread-safe.
/// </summary>
public sealed class AcmeClient
{
    private readonly AcmeJws _jws;

    public AcmeClient(HttpClient http, Uri directory, ECDsa accountKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(directory);
        _jws = new AcmeJws(accountKey);
        Transport = new AcmeTransport(http, directory, _jws);
    }

    /// <summary>The account URL once <see cref="EnsureAccountAsync"/> has run.</summary>
    public Uri? Account => Transport.Account;

    /// <summary>The wait between polls when the server gives no Retry-After.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an authorization or an order may stay pending or processing.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMinutes(2);

    internal AcmeTransport Transport { get; }

    /// <summary>
    /// RFC 8555 §7.3: creates the account for the key, or finds it (200 instead of 201), agreeing to the terms of
    /// service; <paramref name="email"/> is the contact of a new account (<c>mailto:</c>; an existing one keeps its
    /// own). Returns the account URL.
    /// </summary>
    public async Task<Uri> EnsureAccountAsync(string? email, CancellationToken cancellationToken)
    {
        var directory = await Transport.DirectoryAsync(cancellationToken);
        if (directory.Meta?.ExternalAccountRequired == true)
        {
            throw new AcmeException("ACME newAccount: this CA requires external account binding (RFC 8555 §7.3.4), which is not supported");
        }

        var contact = string.IsNullOrWhiteSpace(email) ? null : new[] { $"mailto:{email.Trim()}" };
        var payload = Json(new NewAccountRequest(true, contact), AcmeJsonContext.Default.NewAccountRequest);
        var reply = await Transport.PostAsync(directory.NewAccount, payload, "newAccount", cancellationToken, withJwk: true);
        Transport.Account = reply.Location ?? throw new AcmeException("ACME newAccount: no Location (account URL) in the answer");
        return Transport.Account;
    }

    /// <summary>
    /// Orders a certificate for <paramref name="names"/> with the public key of <paramref name="certificateKey"/>
    /// (§7.4): answers each pending authorization through <paramref name="responder"/>, finalizes with a CSR and
    /// returns the PEM chain, leaf first (§7.4.2). Throws <see cref="AcmeException"/> naming the identifier whose
    /// validation failed and the CA's detail.
    /// </summary>
    public async Task<string> OrderCertificateAsync(IReadOnlyList<string> names, AsymmetricAlgorithm certificateKey,
        IAcmeChallengeResponder responder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(certificateKey);
        ArgumentNullException.ThrowIfNull(responder);
        if (names.Count == 0)
        {
            throw new ArgumentException("at least one name is needed", nameof(names));
        }

        if (Account is null)
        {
            await EnsureAccountAsync(null, cancellationToken);
        }

        var directory = await Transport.DirectoryAsync(cancellationToken);
        var identifiers = names.Select(n => new AcmeIdentifier("dns", n)).ToArray();
        var payload = Json(new NewOrderRequest(identifiers), AcmeJsonContext.Default.NewOrderRequest);
        var reply = await Transport.PostAsync(directory.NewOrder, payload, $"newOrder for {string.Join(", ", names)}", cancellationToken);
        var orderUrl = reply.Location ?? throw new AcmeException("ACME newOrder: no Location (order URL) in the answer");
        var order = AcmeTransport.Parse(reply.Body, AcmeJsonContext.Default.AcmeOrder, "newOrder");

        foreach (var authorization in order.Authorizations)
        {
            await AuthorizeAsync(authorization, responder, cancellationToken);
        }

        // §7.1.6: the order turns ready once every authorization is valid.
        order = await PollAsync(orderUrl, AcmeJsonContext.Default.AcmeOrder, o => o.Status != "pending", "order", cancellationToken);
        if (order.Status == "ready")
        {
            var csr = AcmeCertificateRequest.Create(names, certificateKey);
            payload = Json(new FinalizeRequest(Base64Url.EncodeToString(csr)), AcmeJsonContext.Default.FinalizeRequest);
            await Transport.PostAsync(order.Finalize, payload, "finalize", cancellationToken);
            order = await PollAsync(orderUrl, AcmeJsonContext.Default.AcmeOrder, o => o.Status is not ("ready" or "processing"), "order", cancellationToken);
        }

        if (order.Status != "valid" || order.Certificate is null)
        {
            throw new AcmeException($"ACME order {orderUrl} for {string.Join(", ", names)} is {order.Status}", order.Error);
        }

        // §7.4.2: the chain as application/pem-certificate-chain (RFC 8555 §9.1).
        reply = await Transport.PostAsync(order.Certificate, null, "certificate download", cancellationToken,
            accept: "application/pem-certificate-chain");
        return Encoding.ASCII.GetString(reply.Body);
    }

    /// <summary>§7.6: revokes <paramref name="certificate"/>, signed by the account key (the account that ordered it).</summary>
    /// <param name="reason">An RFC 5280 §5.3.1 CRLReason code, or none.</param>
    public async Task RevokeAsync(X509Certificate2 certificate, CancellationToken cancellationToken, int? reason = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (Account is null)
        {
            await EnsureAccountAsync(null, cancellationToken);
        }

        var directory = await Transport.DirectoryAsync(cancellationToken);
        var url = directory.RevokeCert ?? throw new AcmeException("ACME: this CA offers no revokeCert");
        var payload = Json(new RevokeRequest(Base64Url.EncodeToString(certificate.RawData), reason), AcmeJsonContext.Default.RevokeRequest);
        await Transport.PostAsync(url, payload, $"revokeCert of {certificate.Subject} ({certificate.SerialNumber})", cancellationToken);
    }

    // §7.5: a valid authorization (reused, §7.1.3) needs nothing; a pending one is answered with the responder's
    // preferred challenge (§7.5.1: POST {} to it), then the authorization is polled until it is no longer pending.
    private async Task AuthorizeAsync(Uri url, IAcmeChallengeResponder responder, CancellationToken cancellationToken)
    {
        var reply = await Transport.PostAsync(url, null, "authorization", cancellationToken);
        var authorization = AcmeTransport.Parse(reply.Body, AcmeJsonContext.Default.AcmeAuthorization, "authorization");
        var identifier = authorization.Identifier;
        if (authorization.Status == "valid")
        {
            return;
        }

        if (authorization.Status != "pending")
        {
            throw new AcmeException($"ACME authorization for {identifier} is {authorization.Status}");
        }

        var challenge = responder.ChallengeTypes
                            .Select(type => authorization.Challenges.FirstOrDefault(c => c.Type == type))
                            .FirstOrDefault(c => c is not null) ??
                        throw new AcmeException($"ACME authorization for {identifier} offers {string.Join(", ", authorization.Challenges.Select(c => c.Type))}, " +
                                                $"none of {string.Join(", ", responder.ChallengeTypes)}");
        var response = new AcmeChallengeResponse(challenge.Type, identifier.Value, challenge.Token ?? string.Empty,
            AcmeChallenges.KeyAuthorization(challenge.Token ?? string.Empty, _jws.Thumbprint));
        await responder.PublishAsync(response, cancellationToken);
        try
        {
            await Transport.PostAsync(challenge.Url, "{}"u8.ToArray(), $"{challenge.Type} challenge for {identifier}", cancellationToken);
            authorization = await PollAsync(url, AcmeJsonContext.Default.AcmeAuthorization, a => a.Status != "pending",
                $"authorization for {identifier}", cancellationToken);
        }
        finally
        {
            await responder.WithdrawAsync(response, CancellationToken.None);
        }

        if (authorization.Status != "valid")
        {
            var failed = authorization.Challenges.FirstOrDefault(c => c.Url == challenge.Url) ?? challenge;
            throw new AcmeException($"ACME authorization for {identifier} is {authorization.Status}: {challenge.Type} failed",
                failed.Error);
        }
    }

    // POST-as-GET until done, waiting Retry-After (§7.4, §8.2) or PollInterval between, at most PollTimeout in all.
    private async Task<T> PollAsync<T>(Uri url, JsonTypeInfo<T> type, Func<T, bool> done, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + PollTimeout;
        while (true)
        {
            var reply = await Transport.PostAsync(url, null, what, cancellationToken);
            var value = AcmeTransport.Parse(reply.Body, type, what);
            var left = deadline - DateTimeOffset.UtcNow;
            if (done(value))
            {
                return value;
            }

            if (left <= TimeSpan.Zero)
            {
                throw new AcmeException($"ACME {what} {url}: still not done after {PollTimeout.TotalSeconds:0} s");
            }

            var wait = reply.RetryAfter is { } after && after > TimeSpan.Zero ? after : PollInterval;
            await Task.Delay(wait < left ? wait : left, cancellationToken);
        }
    }

    private static byte[] Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);
}
