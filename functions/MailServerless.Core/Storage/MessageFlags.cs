namespace MailServerless.Core.Storage;

/// <summary>The IMAP system flags (RFC 3501 §2.3.2) a Maildir file name carries after <c>:2,</c>.</summary>
[Flags]
public enum MessageFlags
{
    None = 0,

    /// <summary>S</summary>
    Seen = 1,

    /// <summary>R</summary>
    Answered = 2,

    /// <summary>F</summary>
    Flagged = 4,

    /// <summary>T (trashed)</summary>
    Deleted = 8,

    /// <summary>D</summary>
    Draft = 16,

    /// <summary>P (passed, forwarded): no IMAP system flag; Dovecot shows it as <c>$Forwarded</c>.</summary>
    Passed = 32,
}
