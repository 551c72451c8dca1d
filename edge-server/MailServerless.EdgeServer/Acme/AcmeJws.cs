using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// Signs ACME requests with the account key (RFC 8555 §6.2): a flattened JWS (RFC 7515 §7.2.2) with ES256
/// (RFC 7518 §3.4), whose protected header carries <c>alg</c>, <c>nonce</c>, <c>url</c> and either the public key
/// (<c>jwk</c>, for newAccount) or the account URL (<c>kid</c>, for everything after).
/// </summary>
public sealed class AcmeJws
{
    private readonly ECDsa _key;

    public AcmeJws(ECDsa accountKey)
    {
        ArgumentNullException.ThrowIfNull(accountKey);
        var parameters = accountKey.ExportParameters(includePrivateParameters: false);
        if (!parameters.Curve.IsNamed || parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new ArgumentException("the ACME account key must be ECDSA P-256 (ES256)", nameof(accountKey));
        }

        _key = accountKey;
        // RFC 7638 §3.2: the required members only, in lexicographic order, no white space; x and y are the
        // fixed-length (32-byte) coordinates (RFC 7518 §6.2.1.2).
        Jwk = $$"""{"crv":"P-256","kty":"EC","x":"{{Base64Url.EncodeToString(parameters.Q.X)}}","y":"{{Base64Url.EncodeToString(parameters.Q.Y)}}"}""";
        Thumbprint = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(Jwk)));
    }

    /// <summary>The public key as a JWK (RFC 7517), in the canonical form that <see cref="Thumbprint"/> hashes.</summary>
    public string Jwk { get; }

    /// <summary>base64url(SHA-256(JWK)), RFC 7638 §3; the second half of every key authorization (RFC 8555 §8.1).</summary>
    public string Thumbprint { get; }

    /// <summary>
    /// The request body for <paramref name="url"/>: signed with <c>kid</c> = <paramref name="account"/>, or with
    /// <c>jwk</c> when it is null. A null <paramref name="payload"/> is POST-as-GET, an empty payload (RFC 8555 §6.3).
    /// </summary>
    public byte[] Sign(Uri url, string nonce, Uri? account, byte[]? payload)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrEmpty(nonce);
        var header = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(header))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", "ES256");
            if (account is null)
            {
                writer.WritePropertyName("jwk");
                writer.WriteRawValue(Jwk);
            }
            else
            {
                writer.WriteString("kid", account.AbsoluteUri);
            }

            writer.WriteString("nonce", nonce); // RFC 8555 §6.5
            writer.WriteString("url", url.AbsoluteUri); // RFC 8555 §6.4: the URL the request is sent to
            writer.WriteEndObject();
        }

        var protectedHeader = Base64Url.EncodeToString(header.WrittenSpan);
        var encodedPayload = payload is null ? string.Empty : Base64Url.EncodeToString(payload);
        // RFC 7515 §5.1: the signing input is ASCII(protected "." payload); ES256 signs it as R || S, 64 bytes.
        var signature = _key.SignData(Encoding.ASCII.GetBytes($"{protectedHeader}.{encodedPayload}"), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        var body = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("protected", protectedHeader);
            writer.WriteString("payload", encodedPayload);
            writer.WriteString("signature", Base64Url.EncodeToString(signature));
            writer.WriteEndObject();
        }

        return body.WrittenSpan.ToArray();
    }
}
