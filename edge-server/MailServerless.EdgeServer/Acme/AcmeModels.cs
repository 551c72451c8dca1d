using System.Text.Json.Serialization;

namespace MailServerless.EdgeServer.Acme;

// The ACME resources the client reads (RFC 8555 §7.1), with only the fields it uses; unknown fields are ignored,
// and a field a server may leave out (Go's omitempty: pebble drops "wildcard": false) has a default.

/// <summary>The directory (RFC 8555 §7.1.1): where each operation is sent.</summary>
public sealed record AcmeDirectory(Uri NewNonce, Uri NewAccount, Uri NewOrder, Uri? RevokeCert = null, AcmeDirectoryMeta? Meta = null);

/// <summary>The directory's <c>meta</c> (RFC 8555 §7.1.1).</summary>
public sealed record AcmeDirectoryMeta(string? TermsOfService = null, bool ExternalAccountRequired = false);

/// <summary>An identifier (RFC 8555 §9.7.7): here always <c>dns</c> and a host name.</summary>
public sealed record AcmeIdentifier(string Type, string Value)
{
    public override string ToString() => $"{Type}:{Value}";
}

/// <summary>
/// An order (RFC 8555 §7.1.3): <c>pending</c> until every authorization is valid, then <c>ready</c> for the CSR,
/// <c>processing</c>, and <c>valid</c> with its <c>certificate</c> URL; or <c>invalid</c> with an <c>error</c> (§7.1.6).
/// </summary>
public sealed record AcmeOrder(
    string Status,
    IReadOnlyList<AcmeIdentifier> Identifiers,
    IReadOnlyList<Uri> Authorizations,
    Uri Finalize,
    Uri? Certificate = null,
    AcmeProblem? Error = null);

/// <summary>An authorization (RFC 8555 §7.1.4): one identifier and the challenges that can prove control of it.</summary>
public sealed record AcmeAuthorization(string Status, AcmeIdentifier Identifier, IReadOnlyList<AcmeChallenge> Challenges, bool Wildcard = false);

/// <summary>A challenge (RFC 8555 §7.1.5, §8): its <c>error</c> says why validation failed.</summary>
public sealed record AcmeChallenge(string Type, Uri Url, string Status, string? Token = null, AcmeProblem? Error = null);

/// <summary>A problem document (RFC 7807 §3.1; ACME's types are <c>urn:ietf:params:acme:error:*</c>, RFC 8555 §6.7).</summary>
public sealed record AcmeProblem(
    string? Type = null,
    string? Detail = null,
    int? Status = null,
    AcmeIdentifier? Identifier = null,
    IReadOnlyList<AcmeProblem>? Subproblems = null)
{
    public const string BadNonce = "urn:ietf:params:acme:error:badNonce";

    public override string ToString()
    {
        var text = $"{Detail ?? "(no detail)"} ({Type ?? "no type"})";
        return Subproblems is { Count: > 0 } ? $"{text}; {string.Join("; ", Subproblems.Select(p => $"{p.Identifier}: {p}"))}" : text;
    }
}

// Request payloads (RFC 8555 §7.3, §7.4, §7.6).
internal sealed record NewAccountRequest(bool TermsOfServiceAgreed, IReadOnlyList<string>? Contact);

internal sealed record NewOrderRequest(IReadOnlyList<AcmeIdentifier> Identifiers);

internal sealed record FinalizeRequest(string Csr);

internal sealed record RevokeRequest(string Certificate, int? Reason);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(NewAccountRequest))]
[JsonSerializable(typeof(NewOrderRequest))]
[JsonSerializable(typeof(FinalizeRequest))]
[JsonSerializable(typeof(RevokeRequest))]
internal sealed partial class AcmeJsonContext : JsonSerializerContext;
