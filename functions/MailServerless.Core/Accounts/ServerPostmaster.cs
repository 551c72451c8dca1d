namespace MailServerless.Core.Accounts;

/// <summary>
/// The server's own postmaster: where <c>RCPT TO:&lt;postmaster&gt;</c> (RFC 5321 §4.1.1.3, no domain) goes, and
/// <c>postmaster@</c> a local domain that has no such address yet (RFC 5321 §4.5.1: every domain's postmaster must
/// take mail). <c>Mail:Postmaster</c> when set; otherwise <c>postmaster@</c> the host name, or the domain it is in,
/// whichever is a local domain here (Postfix's <c>$myorigin</c> and <c>$mydomain</c>).
/// </summary>
public sealed class ServerPostmaster(IAccountDirectory directory, string? configured, string hostName)
{
    public const string LocalPart = "postmaster";

    /// <summary>The address, or null when nothing here can take it (then postmaster mail is refused, never bounced).</summary>
    public async Task<string?> AddressAsync(CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim();
        }

        var dot = hostName.IndexOf('.', StringComparison.Ordinal);
        foreach (var domain in dot > 0 ? [hostName, hostName[(dot + 1)..]] : new[] { hostName })
        {
            if (domain.Contains('.', StringComparison.Ordinal) &&
                await directory.GetDomainKindAsync(domain, cancellationToken) == DomainKind.Local)
            {
                return $"{LocalPart}@{domain}";
            }
        }

        return null;
    }

    public static bool IsPostmaster(string localPart) => string.Equals(localPart, LocalPart, StringComparison.OrdinalIgnoreCase);
}
