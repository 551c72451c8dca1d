using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Api;

/// <summary>What to publish for a domain's DKIM key: a TXT record named <see cref="Name"/> with <see cref="Value"/>.</summary>
/// <param name="Value">The record's text; longer than 255 characters (RSA), it goes into DNS as several quoted strings, which resolvers join.</param>
/// <param name="Pending">A rotation's next key: publish it too; it signs once it is found in DNS (or is activated).</param>
public sealed record DkimRecord(string Domain, string Selector, string Algorithm, string Name, string Type, string Value, DateTime Created, DkimRecord? Pending = null)
{
    public static DkimRecord Of(DkimKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.Domain, key.Selector, key.Algorithm == DkimAlgorithm.Ed25519 ? "ed25519-sha256" : "rsa-sha256", key.DnsName, "TXT", key.TxtRecord, key.Created);
    }

    public static DkimRecord Of(DkimState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Of(state.Active) with { Pending = state.Pending is { } pending ? Of(pending) : null };
    }
}

/// <summary>The domains whose DKIM keys an admin sees and rotates.</summary>
public static class SigningDomains
{
    /// <summary>A domain the actor manages and whose mail is signed here (a backup-MX domain's is not).</summary>
    public static async Task<string> GetAsync(Core.Administration.Domains domains, Core.Administration.AdminActor actor, string domain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domains);
        var view = await domains.GetAsync(actor, domain, cancellationToken);
        return view.BackupMx
            ? throw Core.Administration.AdministrationException.Invalid("domain", $"{view.Domain} is a backup MX domain: its mail is not sent from here.")
            : view.Domain;
    }
}

/// <summary>A rotation's choice of algorithm; none: <c>Mail:Dkim:Algorithm</c>.</summary>
public sealed record DkimRotation(DkimAlgorithm? Algorithm);
