using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Pop3;

/// <summary>USER/PASS (RFC 1939 §7) and AUTH PLAIN/LOGIN (RFC 5034), then the mailbox lock.</summary>
public sealed partial class Pop3Session
{
    private static readonly TimeSpan LockHeartbeat = TimeSpan.FromSeconds(30);

    private void User(string argument)
    {
        if (PlaintextRefused)
        {
            Error("[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
            return;
        }

        if (argument.Length == 0)
        {
            Error("No username given.");
            return;
        }

        _pendingUser = argument.Trim();
        Ok(string.Empty);
    }

    private async Task PassAsync(string argument, CancellationToken cancellationToken)
    {
        if (PlaintextRefused)
        {
            Error("[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
            return;
        }

        if (_pendingUser is null)
        {
            Error("No username given.");
            return;
        }

        var user = _pendingUser;
        _pendingUser = null;
        await LoginAsync(user, argument, cancellationToken);
    }

    private async Task AuthenticateAsync(string argument, CancellationToken cancellationToken)
    {
        if (argument.Length == 0)
        {
            // RFC 5034 §4: AUTH without a mechanism lists them.
            Ok(string.Empty);
            foreach (var name in Sasl.Mechanisms)
            {
                connection.Write(name);
            }

            connection.Write(".");
            return;
        }

        if (PlaintextRefused)
        {
            Error("[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
            return;
        }

        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            Error("Unsupported authentication mechanism.");
            return;
        }

        var mechanism = parts[0].ToUpperInvariant();
        var initial = parts.Length > 1 ? parts[1] : null;
        string? user = null, password = null;
        switch (mechanism)
        {
            case "PLAIN":
                var response = initial ?? await ChallengeAsync(string.Empty, cancellationToken);
                if (response is null)
                {
                    return;
                }

                if (!Sasl.TryDecodeBase64(response == "=" ? string.Empty : response, out var message))
                {
                    Error("Invalid base64 data in continued response.");
                    return;
                }

                if (!Sasl.TryParsePlain(message, out var plainUser, out var plainPassword))
                {
                    Error("[AUTH] Authentication failed.");
                    return;
                }

                (user, password) = (plainUser, plainPassword);
                break;
            case "LOGIN":
                var userResponse = initial ?? await ChallengeAsync(Sasl.Encode("Username:"), cancellationToken);
                if (userResponse is null)
                {
                    return;
                }

                if (!Sasl.TryDecodeBase64(userResponse, out var loginUser))
                {
                    Error("Invalid base64 data in continued response.");
                    return;
                }

                var passwordResponse = await ChallengeAsync(Sasl.Encode("Password:"), cancellationToken);
                if (passwordResponse is null)
                {
                    return;
                }

                if (!Sasl.TryDecodeBase64(passwordResponse, out var loginPassword))
                {
                    Error("Invalid base64 data in continued response.");
                    return;
                }

                (user, password) = (loginUser, loginPassword);
                break;
            default:
                Error("Unsupported authentication mechanism.");
                return;
        }

        await LoginAsync(user, password, cancellationToken);
    }

    private async Task<string?> ChallengeAsync(string challenge, CancellationToken cancellationToken)
    {
        connection.Write("+ " + challenge);
        await connection.FlushAsync(cancellationToken);
        var (status, bytes) = await connection.ReadLineAsync(_options.MaxAuthLine, _options.IdleTimeout, cancellationToken);
        if (status != LineStatus.Line)
        {
            _quit = status != LineStatus.TooLong;
            if (!_quit)
            {
                Error("Line too long.");
            }

            return null;
        }

        var response = System.Text.Encoding.ASCII.GetString(bytes).Trim();
        if (response == "*")
        {
            Error("Authentication aborted by client.");
            return null;
        }

        return response;
    }

    private async Task LoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        if (services.Throttle.IsBlocked(connection.RemoteAddress, user.ToLowerInvariant()))
        {
            Error("[SYS/TEMP] Too many failed logins; try again later.");
            return;
        }

        Core.Accounts.AuthenticationResult result;
        try
        {
            result = await services.Directory.AuthenticateAsync(user, password, cancellationToken);
        }
        catch (Core.Accounts.DirectoryUnavailableException)
        {
            Err("[SYS/TEMP] Temporary authentication failure.");
            return;
        }

        if (!result.Succeeded)
        {
            services.Throttle.RecordFailure(connection.RemoteAddress, user.ToLowerInvariant());
            await Task.Delay(services.Throttle.Options.FailureDelay, cancellationToken);
            Error("[AUTH] Authentication failed.");
            return;
        }

        var mailbox = result.Mailbox!;
        var store = services.Store.OpenMailbox(mailbox.Maildir, new QuotaLimit(mailbox.QuotaBytes));
        store.EnsureCreated(withDefaultFolders: false);
        try
        {
            // RFC 1939 §8: one session per maildrop; the lock works across edge servers on one store.
            _lock = await DotLock.AcquireAsync(Path.Combine(store.Root, "msl-pop3"), TimeSpan.Zero, cancellationToken);
        }
        catch (TimeoutException)
        {
            Err("[IN-USE] Mailbox is locked by another POP3 session.");
            return;
        }

        _heartbeat = new Timer(_ => RefreshLock(), null, LockHeartbeat, LockHeartbeat);
        _mailbox = mailbox;
        _folder = await store.OpenFolderAsync(MaildirLayout.Inbox, cancellationToken);
        _messages = _folder.Messages.ToList();
        _state = Pop3State.Transaction;
        Ok("Logged in.");
    }

    private void RefreshLock()
    {
        try
        {
            _lock?.Refresh();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The next heartbeat tries again.
        }
    }
}
