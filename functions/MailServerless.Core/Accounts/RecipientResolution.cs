namespace MailServerless.Core.Accounts;

/// <summary>Where one address, after alias expansion, ends up.</summary>
public enum RecipientKind
{
    /// <summary>An active mailbox: deliver into its Maildir.</summary>
    Mailbox,

    /// <summary>A domain that is not ours: relay (forwarding alias or authenticated submission).</summary>
    Remote,

    /// <summary>A backup-MX domain: relay to its primary.</summary>
    BackupMx,

    /// <summary>PostfixAdmin's vacation address (<c>user#domain@vacation-domain</c>): send the auto-reply.</summary>
    Vacation,

    /// <summary>A local domain without such a mailbox (550 5.1.1 "User unknown").</summary>
    UnknownUser,

    /// <summary>A mailbox row whose <c>maildir</c> is unusable; a configuration error, retried.</summary>
    Misconfigured,
}

/// <summary>One final address of an expansion.</summary>
public sealed record ResolvedRecipient(string Address, RecipientKind Kind, Mailbox? Mailbox = null, string? Detail = null);

/// <summary>Why an expansion as a whole failed (Postfix defers the message in these cases).</summary>
public enum ExpansionFailure
{
    None,

    /// <summary>Aliases that lead back into themselves (Postfix: "unreasonable virtual_alias_maps map nesting").</summary>
    AliasLoop,

    /// <summary>More addresses than <c>virtual_alias_expansion_limit</c> (1000).</summary>
    TooManyAddresses,
}

/// <summary>The result of expanding one envelope recipient.</summary>
public sealed record RecipientResolution(
    string Original, IReadOnlyList<ResolvedRecipient> Recipients, ExpansionFailure Failure = ExpansionFailure.None)
{
    public bool Failed => Failure != ExpansionFailure.None;
}
