using MailServerless.Core.Diagnostics;
using MailServerless.Core.Accounts;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Parsing;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Imap;

/// <summary>STARTTLS (RFC 3501 §6.2.1), LOGIN and AUTHENTICATE PLAIN/LOGIN with SASL-IR (RFC 4959).</summary>
public sealed partial class ImapSession
{
    private const string PlaintextDisallowed = "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

    private async Task<string> StartTlsAsync(ImapCommand command, ImapArguments args, CancellationToken cancellationToken)
    {
        args.End();
        if (connection.IsTls)
        {
            return "BAD TLS is already active.";
        }

        // Commands pipelined behind STARTTLS in plaintext must not run inside TLS (RFC 2595 §3.1, CVE-2011-0411).
        connection.DiscardBufferedInput();
        connection.Write($"{command.Tag} OK Begin TLS negotiation now.");
        await connection.FlushAsync(cancellationToken);
        if (!await connection.StartTlsAsync(services.Certificates.Context, services.Certificates.HandshakeTimeout, cancellationToken))
        {
            _state = ImapState.Logout;
        }

        // The tagged answer went out before the handshake; nothing more to say for this command.
        throw new AnsweredException();
    }

    /// <summary>COMPRESS DEFLATE (RFC 4978): the OK goes out plain, then both directions are compressed.</summary>
    private async Task<string> CompressAsync(ImapCommand command, ImapArguments args, CancellationToken cancellationToken)
    {
        var mechanism = args.Atom("compression mechanism");
        args.End();
        if (!mechanism.Equals("DEFLATE", StringComparison.OrdinalIgnoreCase))
        {
            return "NO Unknown compression mechanism.";
        }

        if (connection.IsCompressed)
        {
            return "NO [COMPRESSIONACTIVE] DEFLATE active via COMPRESS.";
        }

        connection.Write($"{command.Tag} OK DEFLATE active.");
        await connection.FlushAsync(cancellationToken);
        connection.StartCompression();
        throw new AnsweredException();
    }

    private async Task<string> LoginAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        var user = args.AString("user name");
        var password = args.AString("password");
        args.End();
        return PlaintextRefused ? PlaintextDisallowed : await CompleteLoginAsync(user, password, cancellationToken);
    }

    private async Task<string> AuthenticateAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        var mechanism = args.Atom("mechanism");
        var initial = args.HasMore ? args.Atom("initial response") : null;
        args.End();
        if (PlaintextRefused)
        {
            return PlaintextDisallowed;
        }

        var sasl = await Sasl.ReadCredentialsAsync(mechanism, initial, c => ChallengeAsync(c, cancellationToken));
        return sasl.Failure switch
        {
            SaslFailure.Unsupported => "NO Unsupported authentication mechanism.",
            SaslFailure.InvalidBase64 => "BAD Invalid base64 data in response.",
            SaslFailure.Malformed => "NO [AUTHENTICATIONFAILED] Authentication failed.",
            SaslFailure.Cancelled => "BAD Authentication aborted by client.",
            _ => await CompleteLoginAsync(sasl.User, sasl.Password, cancellationToken),
        };
    }

    private async Task<string?> ChallengeAsync(string challenge, CancellationToken cancellationToken)
    {
        connection.Write("+ " + challenge);
        await connection.FlushAsync(cancellationToken);
        var (status, bytes) = await connection.ReadLineAsync(_options.MaxLineLength, ReadTimeout, cancellationToken);
        if (status != LineStatus.Line)
        {
            if (status != LineStatus.TooLong)
            {
                _state = ImapState.Logout;
            }

            return null;
        }

        var response = System.Text.Encoding.ASCII.GetString(bytes).Trim();
        return response == "*" ? null : response;
    }

    private async Task<string> CompleteLoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        using var attempt = await services.Throttle.BeginAsync(connection.RemoteAddress, user, cancellationToken);
        if (attempt is null)
        {
            return "NO [UNAVAILABLE] Too many failed logins; try again later.";
        }

        AuthenticationResult result;
        try
        {
            result = await services.Directory.AuthenticateAsync(user, password, cancellationToken);
        }
        catch (DirectoryUnavailableException)
        {
            return "NO [UNAVAILABLE] Temporary authentication failure.";
        }

        MailMetrics.Login("imap", result.Succeeded);
        if (!result.Succeeded)
        {
            attempt.Fail();
            LogLoginFailed(connection.RemoteAddress, LogText.Safe(user));
            await Task.Delay(services.Throttle.Options.FailureDelay, cancellationToken);
            return "NO [AUTHENTICATIONFAILED] Authentication failed.";
        }

        var mailbox = result.Mailbox!;
        var slot = (mailbox.Username.ToLowerInvariant(), connection.RemoteAddress);
        if (!services.UserConnections.TryOpen(slot))
        {
            return $"NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections={_options.MaxConnectionsPerUserAndClient}).";
        }

        _userSlot = slot;
        _mailbox = mailbox;
        _store = services.Store.OpenMailbox(mailbox.Maildir, new QuotaLimit(mailbox.QuotaBytes));
        // INBOX and the special-use folders (Sent, Drafts, Trash, Junk), made if missing, as Dovecot's auto=subscribe.
        _store.EnsureCreated(withDefaultFolders: true);
        _state = ImapState.Authenticated;
        LogLogin(connection.RemoteAddress, mailbox.Username, connection.IsTls);
        return $"OK [CAPABILITY {Capabilities()}] Logged in.";
    }

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "imap login from [{Client}] user={User} tls={Tls}")]
    private partial void LogLogin(System.Net.IPAddress client, string user, bool tls);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "imap authentication failed from [{Client}] user={User}")]
    private partial void LogLoginFailed(System.Net.IPAddress client, string user);
}

/// <summary>The command wrote its own tagged answer (STARTTLS must answer before the handshake).</summary>
public sealed class AnsweredException() : Exception("answered");
