using MailServerless.Core.Diagnostics;
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

        var sasl = await Sasl.ReadCredentialsAsync(parts[0], parts.Length > 1 ? parts[1] : null, c => ChallengeAsync(c, cancellationToken));
        switch (sasl.Failure)
        {
            case SaslFailure.Unsupported:
                Error("Unsupported authentication mechanism.");
                return;
            case SaslFailure.InvalidBase64:
                Error("Invalid base64 data in continued response.");
                return;
            case SaslFailure.Malformed:
                Error("[AUTH] Authentication failed.");
                return;
            case SaslFailure.Cancelled:
                return;
        }

        await LoginAsync(sasl.User, sasl.Password, cancellationToken);
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
        using var attempt = await services.Throttle.BeginAsync(connection.RemoteAddress, user, cancellationToken);
        if (attempt is null)
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

        MailMetrics.Login("pop3", result.Succeeded);
        if (!result.Succeeded)
        {
            attempt.Fail();
            LogLoginFailed(connection.RemoteAddress, LogText.Safe(user));
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
