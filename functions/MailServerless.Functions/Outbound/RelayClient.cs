using MailKit;
using Notify = MailKit.DeliveryStatusNotification;
using MailKit.Net.Smtp;
using MailServerless.Core.Queue;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// MailKit's SMTP client, told to note refused recipients instead of giving up on the whole message (when
/// none is accepted, MailKit resets the session and throws its own <see cref="SmtpCommandException"/>).
/// </summary>
internal sealed class RelayClient : SmtpClient
{
    public List<(string Address, SmtpResponse Response)> Refused { get; } = [];

    /// <summary>The DSN requests of the message being sent, passed on when the server offers DSN (RFC 3461 §6.2.1).</summary>
    public DsnRequest? Dsn
    {
        get => _dsn;
        set
        {
            _dsn = value;
            DeliveryStatusNotificationType = value?.Return switch
            {
                DsnReturn.Full => DeliveryStatusNotificationType.Full,
                DsnReturn.Headers => DeliveryStatusNotificationType.HeadersOnly,
                _ => DeliveryStatusNotificationType.Unspecified,
            };
        }
    }

    private DsnRequest? _dsn;

    protected override Notify? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox)
    {
        if (Dsn is null)
        {
            return null;
        }

        var notify = Dsn.For(mailbox.Address).Notify;
        if (notify == DsnNotify.Default)
        {
            return null;
        }

        if (notify.HasFlag(DsnNotify.Never))
        {
            return Notify.Never;
        }

        var result = default(Notify);
        if (notify.HasFlag(DsnNotify.Success))
        {
            result |= Notify.Success;
        }

        if (notify.HasFlag(DsnNotify.Failure))
        {
            result |= Notify.Failure;
        }

        if (notify.HasFlag(DsnNotify.Delay))
        {
            result |= Notify.Delay;
        }

        return result;
    }

    protected override string? GetEnvelopeId(MimeMessage message) => Dsn?.EnvelopeId;

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        Refused.Add((mailbox.Address, response));
}

/// <summary>
/// No SMTP session came about with one host (no connection, TLS or AUTH failed, the greeting refused):
/// the next MX may be tried; when none is left, every recipient gets this status.
/// </summary>
public sealed class RelayConnectionException : Exception
{
    public RelayConnectionException(string status, string diagnostic, string? remoteMta)
        : base(diagnostic)
    {
        Status = status;
        RemoteMta = remoteMta;
    }

    public RelayConnectionException()
    {
        Status = "4.4.1";
    }

    public RelayConnectionException(string message)
        : base(message)
    {
        Status = "4.4.1";
    }

    public RelayConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = "4.4.1";
    }

    /// <summary>The enhanced status code to report.</summary>
    public string Status { get; }

    public string? RemoteMta { get; }

    public bool IsPermanent => Status.StartsWith('5');

    /// <summary>The status as a reason to try again: a session that did not come about says nothing final about the recipients.</summary>
    public string TemporaryStatus => IsPermanent ? "4" + Status[1..] : Status;
}
