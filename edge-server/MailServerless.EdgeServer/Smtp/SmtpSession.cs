using MailServerless.Core.Diagnostics;
using System.Text;
using MailServerless.EdgeServer.Protocol;
using MailServerless.EdgeServer.Smtp.Parsing;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>
/// One SMTP conversation (RFC 5321 with ESMTP extensions): greeting, then commands until QUIT,
/// a timeout or too many errors. Replies are buffered and sent when the client has nothing more
/// pipelined (RFC 2920). The transaction state lives here; MAIL/RCPT/DATA, AUTH and STARTTLS are
/// in the partial files beside this one.
/// </summary>
public sealed partial class SmtpSession(
    ProtocolConnection connection, SmtpListenerKind kind, SmtpServices services, ILogger<SmtpSession> logger)
{
    private readonly SmtpOptions _options = services.Options;
    private readonly string _host = services.Mail.EffectiveHostName;
    private readonly List<string> _recipients = [];
    private string? _helo;
    private bool _esmtp;
    private string? _user;
    private SmtpPath? _mailFrom;
    private int _errors;
    private int _junk;
    private int _overshoot;
    private int _accepted;
    private bool _quit;

    private bool TlsRequiredForAuth => !connection.IsTls && !services.Throttle.Options.AllowPlaintextWithoutTls;

    public async Task RunAsync(CancellationToken stopping)
    {
        if (kind == SmtpListenerKind.Submissions &&
            !await connection.StartTlsAsync(services.Certificates.Context, services.Certificates.HandshakeTimeout, stopping))
        {
            LogTlsFailed(connection.RemoteAddress.ToString(), connection.LocalPort);
            return;
        }

        connection.WriteTimeout = _options.IdleTimeout;
        LogConnect(connection.RemoteAddress.ToString(), connection.LocalPort, kind);
        Reply($"220 {_host} ESMTP MailServerless");
        // A stop ends the wait for the next command at once, but a command under way (a message being received)
        // gets DrainTimeout to finish, so that a restart does not cut a client off in the middle of DATA.
        using var draining = new CancellationTokenSource();
        await using var drain = stopping.Register(() => draining.CancelAfter(_options.DrainTimeout));
        try
        {
            while (!_quit && !stopping.IsCancellationRequested)
            {
                var (status, bytes) = await connection.ReadCommandAsync(_options.MaxAuthLine, _options.IdleTimeout, stopping);
                if (status == LineStatus.Closed)
                {
                    break;
                }

                if (status == LineStatus.Timeout)
                {
                    Reply($"421 4.4.2 {_host} Error: timeout exceeded");
                    break;
                }

                if (status == LineStatus.TooLong)
                {
                    Error("500 5.5.2 Error: line too long");
                }
                else
                {
                    await HandleLineAsync(bytes, draining.Token);
                }

                if (_errors >= _options.MaxErrors)
                {
                    Reply($"421 4.7.0 {_host} Error: too many errors");
                    break;
                }
            }

            if (stopping.IsCancellationRequested && !_quit)
            {
                Reply($"421 4.3.2 {_host} Service shutting down");
            }

            await connection.FlushAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or
                                       Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The client went away; nothing was acknowledged that is not durable.
        }
        finally
        {
            // A chunked message the client never finished is removed from the store.
            ResetTransaction();
            await _abandoned;
        }

        LogDisconnect(connection.RemoteAddress.ToString(), LogText.Safe(_helo ?? "unknown"), connection.TlsDescription ?? "none", _user ?? "-", _accepted, _errors);
    }

    private async Task HandleLineAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        if (!ProtocolConnection.TryDecodeCommand(bytes, out var line))
        {
            Error("500 5.5.2 Error: NUL character or bad UTF-8 in command");
            return;
        }

        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? string.Empty : line[(space + 1)..];
        if (verb != "AUTH" && bytes.Length + 2 > _options.MaxCommandLine)
        {
            Error("500 5.5.2 Error: line too long");
            return;
        }

        // Postfix's smtpd_junk_command_limit: commands that move nothing forward count as errors past 100.
        if (verb is "EHLO" or "HELO" or "NOOP" or "RSET" or "VRFY" or "HELP" && ++_junk > 100)
        {
            _errors++;
        }

        switch (verb)
        {
            case "EHLO": Hello(argument, extended: true); break;
            case "HELO": Hello(argument, extended: false); break;
            case "STARTTLS": await StartTlsAsync(argument, cancellationToken); break;
            case "AUTH": await AuthenticateAsync(argument, cancellationToken); break;
            case "MAIL": await MailAsync(argument, cancellationToken); break;
            case "RCPT": await RecipientAsync(argument, cancellationToken); break;
            case "DATA": await DataAsync(argument, cancellationToken); break;
            case "BDAT": await ChunkAsync(argument, cancellationToken); break;
            case "RSET":
                ResetTransaction();
                Reply("250 2.0.0 Ok");
                break;
            case "NOOP": Reply("250 2.0.0 Ok"); break;
            case "QUIT":
                Reply("221 2.0.0 Bye");
                _quit = true;
                break;
            case "VRFY":
                // RFC 5321 §3.5.3: no user enumeration; a 252 promises nothing.
                Reply("252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
                break;
            case "HELP": Reply("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS AUTH HELP"); break;
            case "ETRN" or "EXPN" or "TURN":
                Error("502 5.5.1 Error: command not implemented");
                break;
            default:
                Error("500 5.5.2 Error: command not recognized");
                break;
        }
    }

    private void Hello(string argument, bool extended)
    {
        var name = argument.Trim();
        if (name.Length == 0 || name.Contains(' ', StringComparison.Ordinal))
        {
            Error($"501 5.5.4 Syntax: {(extended ? "EHLO" : "HELO")} hostname");
            return;
        }

        ResetTransaction();
        _helo = name;
        _esmtp = extended;
        if (!extended)
        {
            Reply($"250 {_host}");
            return;
        }

        var lines = new List<string> { _host, "PIPELINING", $"SIZE {_options.MaxMessageSize}", "VRFY" };
        if (!connection.IsTls)
        {
            lines.Add("STARTTLS");
        }

        if (!TlsRequiredForAuth)
        {
            lines.Add("AUTH " + string.Join(' ', Sasl.Mechanisms));
        }

        lines.AddRange(["ENHANCEDSTATUSCODES", "8BITMIME", "BINARYMIME", "CHUNKING", "DSN", "SMTPUTF8"]);
        if (connection.IsTls)
        {
            lines.Add("REQUIRETLS"); // RFC 8689 §2: only where the session is encrypted
        }
        for (var i = 0; i < lines.Count; i++)
        {
            Reply($"250{(i == lines.Count - 1 ? ' ' : '-')}{lines[i]}");
        }
    }

    private void ResetTransaction()
    {
        _mailFrom = null;
        _recipients.Clear();
        (_spfChecked, _spf, _spfRefusal) = (false, null, null);
        if (_chunks is { } begun)
        {
            _chunks = null;
            Abandon(begun);
        }

        (_chunkRefusal, _binaryMime) = (null, false);
        (_dsnReturn, _envelopeId, _requireTls) = (null, null, false);
        _recipientDsn.Clear();
    }

    private void Reply(string line) => connection.Write(line);

    private void Error(string line)
    {
        _errors++;
        connection.Write(line);
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "smtp connect from [{Client}] to port {Port} ({Kind})")]
    private partial void LogConnect(string client, int port, SmtpListenerKind kind);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information,
        Message = "smtp disconnect from {Helo}[{Client}] tls={Tls} user={User} accepted={Accepted} errors={Errors}")]
    private partial void LogDisconnect(string client, string helo, string tls, string user, int accepted, int errors);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "smtp TLS handshake failed from [{Client}] on port {Port}")]
    private partial void LogTlsFailed(string client, int port);
}
