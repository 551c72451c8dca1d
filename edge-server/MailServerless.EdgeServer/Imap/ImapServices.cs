using System.Net;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Imap;

/// <summary>The <c>Mail:Imap</c> settings.</summary>
public sealed class ImapOptions
{
    /// <summary>RFC 3501 §5.4: the autologout timer is at least 30 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Before login a shorter timer, so that unauthenticated connections do not linger.</summary>
    public TimeSpan LoginTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>A command line (without its literals), as Dovecot's <c>imap_max_line_length</c>.</summary>
    public int MaxLineLength { get; set; } = 64 * 1024;

    /// <summary>The largest message APPEND takes (advertised as APPENDLIMIT, RFC 7889); larger literals are refused unread.</summary>
    public long MaxAppendSize { get; set; } = 50 * 1024 * 1024;

    /// <summary>The largest literal in any other command (a password, a search string).</summary>
    public int MaxLiteralSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Octets per second a literal must keep up on average: it gets the read timeout plus one second per
    /// this many octets (as SMTP's <c>MinDataRate</c>), so a trickled APPEND cannot hold the connection.
    /// </summary>
    public int MinDataRate { get; set; } = 500;

    /// <summary>How often a session in IDLE looks for changes (new mail is reported within this).</summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On a local store, IDLE is woken by inotify at once and polls only every <see cref="IdleWatchedPollInterval"/>
    /// as a safety net; on a shared one (NFS, EFS) it polls every <see cref="IdlePollInterval"/>.
    /// </summary>
    public bool IdleNotify { get; set; } = true;

    /// <summary>How often an IDLE woken by inotify still looks for changes, in case an event was missed.</summary>
    public TimeSpan IdleWatchedPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Invalid commands before the connection is closed.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Concurrent connections per client address.</summary>
    public int MaxConnectionsPerClient { get; set; } = 100;

    /// <summary>ENVELOPEs kept in memory for all sessions (about 1 KB each); 0 turns the cache off.</summary>
    public int EnvelopeCacheEntries { get; set; } = 50_000;

    /// <summary>Folders one mailbox may hold, INBOX included; CREATE past it gets <c>NO [LIMIT]</c>.</summary>
    public int MaxFolders { get; set; } = 1000;

    /// <summary>Concurrent logged-in connections per user and client address (Dovecot's <c>mail_max_userip_connections</c>).</summary>
    public int MaxConnectionsPerUserAndClient { get; set; } = 10;
}

/// <summary>What every IMAP session shares.</summary>
public sealed class ImapServices(
    MailOptions mail, ImapOptions options, IAccountDirectory directory, MaildirStore store, AuthThrottle throttle,
    TlsCertificateProvider certificates, Smtp.SmtpOptions smtp)
{
    /// <summary>The header limits of new mail (<c>Mail:Smtp:HeaderSizeLimit</c>, <c>LineLengthLimit</c>), for APPEND.</summary>
    public HeaderLimits HeaderLimits => smtp.HeaderLimits;

    public MailOptions Mail => mail;

    public ImapOptions Options => options;

    public IAccountDirectory Directory => directory;

    public MaildirStore Store => store;

    public AuthThrottle Throttle => throttle;

    public TlsCertificateProvider Certificates => certificates;

    public Fetch.EnvelopeCache Envelopes { get; } = new(options);

    public FolderWatchers FolderWatchers { get; } = new(mail.Store.Shared, notices: mail.Notify.Listen.Length > 0);

    public ConnectionLimiter<IPAddress> Connections { get; } = new(options.MaxConnectionsPerClient);

    public ConnectionLimiter<(string User, IPAddress Client)> UserConnections { get; } = new(options.MaxConnectionsPerUserAndClient);
}
