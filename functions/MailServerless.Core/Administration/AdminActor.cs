namespace MailServerless.Core.Administration;

/// <summary>
/// Who makes a change: a superadmin (every domain), a domain admin (the domains of PostfixAdmin's
/// <c>domain_admins</c>), or the command line (a superadmin). <see cref="Origin"/> is the client address or
/// "cli", kept in the log as PostfixAdmin writes it: <c>admin@example.jp (192.0.2.1)</c>.
/// </summary>
public sealed record AdminActor(string Username, bool IsSuperadmin, IReadOnlySet<string> Domains, string Origin)
{
    /// <summary>
    /// Set for a mailbox owner logged in with their mail credentials (PostfixAdmin's user area): they may
    /// read their mailbox and change its password, vacation and forwarding, nothing else.
    /// </summary>
    public string? OwnMailbox { get; init; }

    public static AdminActor Owner(string mailbox, string origin) =>
        new(mailbox, false, new HashSet<string>(), origin) { OwnMailbox = mailbox };

    /// <summary>An admin of the address's domain, or its owner.</summary>
    public void EnsureCanManageMailbox(string address, string domain)
    {
        if (!string.Equals(OwnMailbox, address, StringComparison.Ordinal))
        {
            EnsureCanManage(domain);
        }
    }

    /// <summary>True when the actor is this mailbox's owner and not an admin of its domain.</summary>
    public bool IsOnlyOwnerOf(string domain) => OwnMailbox is not null && !CanManage(domain);

    public static AdminActor CommandLine { get; } = new("cli", true, new HashSet<string>(), "cli");

    public string LogName => $"{Username} ({Origin})";

    public bool CanManage(string domain) => IsSuperadmin || Domains.Contains(domain);

    /// <summary>Throws <see cref="AdministrationException"/> (403) unless the actor may manage <paramref name="domain"/>.</summary>
    public void EnsureCanManage(string domain)
    {
        if (!CanManage(domain))
        {
            // The same answer whether the domain exists or not: nothing leaks about other domains.
            throw AdministrationException.Forbidden("You may not manage this domain.");
        }
    }

    /// <summary>Lists are for admins: a mailbox owner sees their own mailbox only.</summary>
    public void EnsureAdmin()
    {
        if (OwnMailbox is not null)
        {
            throw AdministrationException.Forbidden("Only an admin may do this.");
        }
    }

    public void EnsureSuperadmin()
    {
        if (!IsSuperadmin)
        {
            throw AdministrationException.Forbidden("Only a superadmin may do this.");
        }
    }
}
