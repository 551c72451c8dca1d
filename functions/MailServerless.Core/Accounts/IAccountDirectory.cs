namespace MailServerless.Core.Accounts;

/// <summary>
/// The lookups the seed's Postfix maps and Dovecot queries make, over PostfixAdmin's tables.
/// Every method throws <see cref="DirectoryUnavailableException"/> when the database cannot answer.
/// </summary>
public interface IAccountDirectory
{
    /// <summary>Postfix's <c>virtual_mailbox_domains</c> / <c>relay_domains</c> for an active domain.</summary>
    Task<DomainKind> GetDomainKindAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>
    /// One <c>virtual_alias_maps</c> lookup of an address, in Postfix's order: the exact alias,
    /// the alias-domain rewrite, the alias domain's target catch-all, then the <c>@domain</c>
    /// catch-all. Null when nothing matches; otherwise the comma-separated <c>goto</c>, split.
    /// </summary>
    Task<IReadOnlyList<string>?> LookupAliasAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>Postfix's <c>virtual_mailbox_maps</c>: the active mailbox for an address (also via an alias domain).</summary>
    Task<Mailbox?> FindMailboxAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>Dovecot's <c>password_query</c>: an active mailbox in an active domain with this password.</summary>
    Task<AuthenticationResult> AuthenticateAsync(string address, string password, CancellationToken cancellationToken = default);
}

/// <summary>Outcome of a login. The reason is for the log only; clients are told just "failed".</summary>
public sealed record AuthenticationResult(Mailbox? Mailbox, string? FailureReason)
{
    public bool Succeeded => Mailbox is not null;

    public static AuthenticationResult Failed(string reason) => new(null, reason);
}
