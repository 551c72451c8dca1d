using MailKit.Net.Smtp;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// MailKit's SMTP client, told to note refused recipients instead of giving up on the whole message (when
/// none is accepted, MailKit resets the session and throws its own <see cref="SmtpCommandException"/>).
/// </summary>
internal sealed class RelayClient : SmtpClient
{
    public List<(string Address, SmtpResponse Response)> Refused { get; } = [];

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
