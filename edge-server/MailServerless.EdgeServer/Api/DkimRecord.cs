using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Api;

/// <summary>What to publish for a domain's DKIM key: a TXT record named <see cref="Name"/> with <see cref="Value"/>.</summary>
/// <param name="Value">The record's text; longer than 255 characters (RSA), it goes into DNS as several quoted strings, which resolvers join.</param>
public sealed record DkimRecord(string Domain, string Selector, string Algorithm, string Name, string Type, string Value, DateTime Created)
{
    public static DkimRecord Of(DkimKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.Domain, key.Selector, key.Algorithm == DkimAlgorithm.Ed25519 ? "ed25519-sha256" : "rsa-sha256", key.DnsName, "TXT", key.TxtRecord, key.Created);
    }
}

/// <summary>A rotation's choice of algorithm; none: <c>Mail:Dkim:Algorithm</c>.</summary>
public sealed record DkimRotation(DkimAlgorithm? Algorithm);
