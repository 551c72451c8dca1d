namespace MailServerless.EdgeServer.Smtp;

/// <summary>STARTTLS (RFC 3207).</summary>
public sealed partial class SmtpSession
{
    private async Task StartTlsAsync(string argument, CancellationToken cancellationToken)
    {
        if (argument.Length > 0)
        {
            Error("501 5.5.4 Syntax: STARTTLS");
            return;
        }

        if (connection.IsTls)
        {
            Error("554 5.5.1 Error: TLS already active");
            return;
        }

        if (_helo is null)
        {
            Error("503 5.5.1 Error: send EHLO first");
            return;
        }

        // Anything pipelined after STARTTLS was sent in plaintext and must not be taken as
        // coming over TLS (RFC 3207 §4.2, CVE-2011-0411): it is thrown away.
        var discarded = connection.DiscardBufferedInput();
        if (discarded > 0)
        {
            LogInjection(connection.RemoteAddress.ToString(), discarded);
        }

        Reply("220 2.0.0 Ready to start TLS");
        await connection.FlushAsync(cancellationToken);
        if (!await connection.StartTlsAsync(services.Certificates.Context, services.Certificates.HandshakeTimeout, cancellationToken))
        {
            LogTlsFailed(connection.RemoteAddress.ToString(), connection.LocalPort);
            _quit = true;
            return;
        }

        // RFC 3207 §4.2: forget everything learnt before TLS; the client starts again with EHLO.
        _helo = null;
        _esmtp = false;
        _user = null;
        ResetTransaction();
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "smtp [{Client}] sent {Bytes} byte(s) after STARTTLS before the handshake; discarded")]
    private partial void LogInjection(string client, int bytes);
}
