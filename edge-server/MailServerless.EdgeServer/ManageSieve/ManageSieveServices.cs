using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.ManageSieve;

/// <summary>The <c>Mail:ManageSieve</c> settings: the session's limits and the script quotas (RFC 5804 §2.3, §2.6).</summary>
public sealed class ManageSieveOptions
{
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Scripts per user (Pigeonhole's <c>sieve_quota_max_scripts</c>).</summary>
    public int MaxScripts { get; set; } = 100;

    /// <summary>Bytes of all of a user's scripts (Pigeonhole's <c>sieve_quota_max_storage</c>).</summary>
    public long MaxStorage { get; set; } = 10 * 1024 * 1024;

    /// <summary>Errors before the connection is closed.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Concurrent connections per client address.</summary>
    public int MaxConnectionsPerClient { get; set; } = 20;
}

/// <summary>What every ManageSieve session shares.</summary>
public sealed class ManageSieveServices(
    MailOptions mail, ManageSieveOptions options, IAccountDirectory directory, MaildirStore store, AuthThrottle throttle,
    TlsCertificateProvider certificates, TimeProvider clock, Functions.SieveOptions sieve)
{
    /// <summary>The redirects a script may make per message, for the MAXREDIRECTS capability (<c>Mail:Sieve:MaxRedirects</c>).</summary>
    public int MaxRedirects => sieve.MaxRedirects;

    public MailOptions Mail => mail;

    public ManageSieveOptions Options => options;

    public IAccountDirectory Directory => directory;

    public MaildirStore Store => store;

    public AuthThrottle Throttle => throttle;

    public TlsCertificateProvider Certificates => certificates;

    public TimeProvider Clock => clock;

    public ConnectionLimiter<System.Net.IPAddress> Connections { get; } = new(options.MaxConnectionsPerClient);
}
