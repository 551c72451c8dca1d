using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Pop3;

/// <summary>The <c>Mail:Pop3</c> settings.</summary>
public sealed class Pop3Options
{
    /// <summary>RFC 1939 §3: the autologout timer must be at least 10 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>RFC 2449 §4: a command line is at most 255 octets; AUTH responses may be longer.</summary>
    public int MaxCommandLine { get; set; } = 255;

    public int MaxAuthLine { get; set; } = 12_288;

    /// <summary>Errors before the connection is closed.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Concurrent connections per client address.</summary>
    public int MaxConnectionsPerClient { get; set; } = 50;
}

/// <summary>What every POP3 session shares.</summary>
public sealed class Pop3Services(
    MailOptions mail, Pop3Options options, IAccountDirectory directory, MaildirStore store, AuthThrottle throttle,
    TlsCertificateProvider certificates)
{
    public MailOptions Mail => mail;

    public Pop3Options Options => options;

    public IAccountDirectory Directory => directory;

    public MaildirStore Store => store;

    public AuthThrottle Throttle => throttle;

    public TlsCertificateProvider Certificates => certificates;

    public ConnectionLimiter<System.Net.IPAddress> Connections { get; } = new(options.MaxConnectionsPerClient);
}
