namespace MailServerless.Core.Accounts;

/// <summary>How the directory treats a domain (PostfixAdmin's <c>domain</c> row, active ones only).</summary>
public enum DomainKind
{
    /// <summary>No active row: mail for it is relayed only for authenticated senders.</summary>
    NotLocal,

    /// <summary>An active virtual mailbox domain (Postfix's <c>virtual_mailbox_domains</c>).</summary>
    Local,

    /// <summary>Active with <c>backupmx = 1</c>: accepted and relayed on (Postfix's <c>relay_domains</c>).</summary>
    BackupMx,
}

/// <summary>An active mailbox as delivery, IMAP and POP3 need it.</summary>
/// <param name="Username">The login address, <c>user@domain</c>.</param>
/// <param name="Name">Display name (utf8mb4 in PostfixAdmin's schema).</param>
/// <param name="Maildir">Relative to the store base, e.g. <c>example.jp/user/</c>; validated.</param>
/// <param name="QuotaBytes">Storage quota in bytes; 0 = unlimited.</param>
public sealed record Mailbox(string Username, string Name, string Maildir, long QuotaBytes, string LocalPart, string Domain);
