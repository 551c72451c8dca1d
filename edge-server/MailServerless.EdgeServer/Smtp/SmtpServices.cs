using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Hosting;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>Everything an SMTP session needs, shared by all sessions.</summary>
public sealed class SmtpServices(
    MailOptions mail,
    SmtpOptions smtp,
    IAccountDirectory directory,
    SmtpPolicy policy,
    InboundChecks checks,
    IBlobStore blobs,
    [FromKeyedServices(QueueServices.Inbound)] IMessageQueue inbound,
    AuthThrottle throttle,
    TlsCertificateProvider certificates,
    TimeProvider clock)
{

    public MailOptions Mail => mail;

    public SmtpOptions Options => smtp;

    public IAccountDirectory Directory => directory;

    public SmtpPolicy Policy => policy;

    public InboundChecks Checks => checks;

    public IBlobStore Blobs => blobs;

    public IMessageQueue Inbound => inbound;

    public AuthThrottle Throttle => throttle;

    public TlsCertificateProvider Certificates => certificates;

    public TimeProvider Clock => clock;

    public SmtpListenerKind KindOf(int port) =>
        port == mail.Listeners.Submission ? SmtpListenerKind.Submission
        : port == mail.Listeners.Submissions ? SmtpListenerKind.Submissions
        : SmtpListenerKind.Mx;

    public ConnectionLimiter<System.Net.IPAddress> Connections { get; } = new(smtp.MaxConnectionsPerClient);
}
