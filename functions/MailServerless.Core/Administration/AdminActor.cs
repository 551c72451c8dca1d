namespace MailServerless.Core.Administration;

/// <summary>
/// Who makes a change: a superadmin (every domain), a domain admin (the domains of PostfixAdmin's
/// <c>domain_admins</c>), or the command line (a superadmin). <see cref="Origin"/> is the client address or
/// "cli", kept in the log as PostfixAdmin writes it: <c>admin@example.jp (192.0.2.1)</c>.
/// </summary>
public sealed record AdminActor(string Username, bool IsSuperadmin, IReadOnlySet<string> Domains, string Origin)
{
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

    public void EnsureSuperadmin()
    {
        if (!IsSuperadmin)
        {
            throw AdministrationException.Forbidden("Only a superadmin may do this.");
        }
    }
}
