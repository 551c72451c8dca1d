using MailServerless.Core.Diagnostics;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>AUTH (RFC 4954) with PLAIN (and an initial response) and LOGIN, against the directory.</summary>
public sealed partial class SmtpSession
{
    private async Task AuthenticateAsync(string argument, CancellationToken cancellationToken)
    {
        if (_helo is null || !_esmtp)
        {
            Error("503 5.5.1 Error: send EHLO first");
            return;
        }

        if (_user is not null)
        {
            Error("503 5.5.1 Error: already authenticated");
            return;
        }

        if (_mailFrom is not null)
        {
            Error("503 5.5.1 Error: MAIL transaction in progress");
            return;
        }

        if (TlsRequiredForAuth)
        {
            Error("530 5.7.0 Must issue a STARTTLS command first");
            return;
        }

        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            Error("501 5.5.4 Syntax: AUTH mechanism");
            return;
        }

        var sasl = await Sasl.ReadCredentialsAsync(parts[0], parts.Length > 1 ? parts[1] : null, c => ChallengeAsync(c, cancellationToken));
        switch (sasl.Failure)
        {
            case SaslFailure.Unsupported:
                Error("504 5.5.4 Unrecognized authentication type");
                return;
            case SaslFailure.InvalidBase64:
                Error("501 5.5.2 Error: invalid base64 data");
                return;
            case SaslFailure.Malformed:
                Error("535 5.7.8 Error: authentication failed: malformed PLAIN response");
                return;
            case SaslFailure.Cancelled:
                return;
        }

        var given = (sasl.User, sasl.Password);
        using var attempt = await services.Throttle.BeginAsync(connection.RemoteAddress, given.User, cancellationToken);
        if (attempt is null)
        {
            Error("454 4.7.0 Too many failed authentication attempts; try again later");
            return;
        }

        Core.Accounts.AuthenticationResult result;
        try
        {
            result = await services.Directory.AuthenticateAsync(given.User, given.Password, cancellationToken);
        }
        catch (Core.Accounts.DirectoryUnavailableException)
        {
            Reply("454 4.7.0 Temporary authentication failure");
            return;
        }

        MailMetrics.Login("smtp", result.Succeeded);
        if (!result.Succeeded)
        {
            attempt.Fail();
            LogAuthFailed(connection.RemoteAddress.ToString(), LogText.Safe(given.User), result.FailureReason ?? "failed");
            await Task.Delay(services.Throttle.Options.FailureDelay, cancellationToken);
            Error("535 5.7.8 Error: authentication failed");
            return;
        }

        _user = result.Mailbox!.Username;
        Reply("235 2.7.0 Authentication successful");
    }

    /// <summary>Sends a 334 challenge and reads the response; null (already answered) when the client cancels or leaves.</summary>
    private async Task<string?> ChallengeAsync(string challenge, CancellationToken cancellationToken)
    {
        Reply($"334 {challenge}");
        await connection.FlushAsync(cancellationToken);
        var (status, bytes) = await connection.ReadLineAsync(_options.MaxAuthLine, _options.IdleTimeout, cancellationToken);
        if (status != LineStatus.Line)
        {
            if (status == LineStatus.TooLong)
            {
                Error("500 5.5.2 Error: line too long");
            }
            else
            {
                _quit = true;
            }

            return null;
        }

        var response = System.Text.Encoding.ASCII.GetString(bytes).Trim();
        if (response == "*")
        {
            Error("501 5.0.0 Authentication aborted");
            return null;
        }

        return response;
    }

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "smtp [{Client}] authentication failed for {User}: {Reason}")]
    private partial void LogAuthFailed(string client, string user, string reason);
}
