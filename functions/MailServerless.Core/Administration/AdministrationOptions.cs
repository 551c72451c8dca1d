namespace MailServerless.Core.Administration;

/// <summary>The <c>Mail:Admin</c> settings (PostfixAdmin's <c>config.inc.php</c> counterparts).</summary>
public sealed class AdministrationOptions
{
    /// <summary>
    /// Local parts, comma-separated, created as aliases with every new domain (PostfixAdmin's <c>default_aliases</c>;
    /// RFC 2142); empty for none. One string, not a list: configuration binding adds a configured list to the
    /// default one instead of replacing it, so no default could be left out.
    /// </summary>
    public string DefaultAliases { get; set; } = "abuse,hostmaster,postmaster,webmaster";

    /// <summary><see cref="DefaultAliases"/> as local parts.</summary>
    public IReadOnlyList<string> DefaultAliasLocalParts =>
        DefaultAliases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Where the default aliases of a new domain point when <c>domain add</c> names no postmaster: a mailbox or an
    /// outside address. Empty: they are made with the domain's first mailbox, pointing at it.
    /// </summary>
    public string? DefaultAliasTarget { get; set; }

    /// <summary>Aliases a new domain may have (PostfixAdmin's <c>$CONF['aliases']</c>); 0 unlimited, -1 none.</summary>
    public int DomainAliases { get; set; } = 10;

    /// <summary>Mailboxes a new domain may have (PostfixAdmin's <c>$CONF['mailboxes']</c>); 0 unlimited, -1 none.</summary>
    public int DomainMailboxes { get; set; } = 10;

    /// <summary>A new domain's largest mailbox (PostfixAdmin's <c>$CONF['maxquota']</c>, 10 MB); a size (<see cref="Sizes"/>), 0 unlimited.</summary>
    public string DomainMaxQuota { get; set; } = "10M";

    /// <summary>A new domain's total of mailbox quotas (PostfixAdmin's <c>$CONF['domain_quota_default']</c>, 2048 MB); 0 unlimited.</summary>
    public string DomainQuota { get; set; } = "2048M";

    /// <summary>
    /// Whether the first start on an empty directory makes a superadmin with a random password, printed once. Off
    /// where output is kept by others (CloudWatch, the journal of a shared host): make one with <c>setup</c> there.
    /// </summary>
    public bool GenerateSuperadmin { get; set; } = true;

    /// <summary>The shortest password a mailbox or admin may get.</summary>
    public int MinPasswordLength { get; set; } = 8;

    /// <summary>The password a mailbox or admin is given, checked against <see cref="MinPasswordLength"/>.</summary>
    public string CheckPassword(string? password) =>
        password is null || password.Length < MinPasswordLength || password.Any(char.IsControl)
            ? throw AdministrationException.Invalid("password", $"The password needs at least {MinPasswordLength} characters, without control characters.")
            : password;

    /// <summary>Subject of the mail sent to every new mailbox (PostfixAdmin's <c>welcome_text</c>); empty: none is sent.</summary>
    public string WelcomeSubject { get; set; } = "Welcome";

    public string WelcomeText { get; set; } = "Hi,\n\nWelcome to your new account.\n";
}
