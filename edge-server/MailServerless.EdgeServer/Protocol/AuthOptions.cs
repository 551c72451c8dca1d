namespace MailServerless.EdgeServer.Protocol;

/// <summary>The <c>Mail:Auth</c> settings: logins over SMTP AUTH, IMAP, POP3 and the admin API.</summary>
public sealed class AuthOptions
{
    /// <summary>Allow AUTH/LOGIN/USER before TLS (Dovecot's <c>disable_plaintext_auth = no</c>); off by default.</summary>
    public bool AllowPlaintextWithoutTls { get; set; }

    /// <summary>Every failed login is answered only after this (Dovecot's <c>auth_failure_delay</c>: 2 s).</summary>
    public TimeSpan FailureDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failures from one client address within <see cref="Window"/> before it may not try for the rest of it.</summary>
    public int MaxFailuresPerAddress { get; set; } = 10;

    /// <summary>Failures for one account from one client within <see cref="Window"/> before that client may not try it for the rest of it.</summary>
    public int MaxFailuresPerAccountAndAddress { get; set; } = 5;

    /// <summary>
    /// Failures for one account from all clients within <see cref="Window"/> after which attempts for it from a client
    /// that has failed before wait <see cref="AccountPenalty"/> first. The account is never locked: a client with no
    /// failures logs in at once.
    /// </summary>
    public int MaxFailuresPerAccount { get; set; } = 20;

    /// <summary>The wait of <see cref="MaxFailuresPerAccount"/> (Dovecot's auth penalty reaches at most 15 s).</summary>
    public TimeSpan AccountPenalty { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long failures count, and how long a block lasts.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
}
