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

        var mechanism = parts[0].ToUpperInvariant();
        var initial = parts.Length > 1 ? parts[1] : null;
        (string User, string Password)? credentials = mechanism switch
        {
            "PLAIN" => await ReadPlainAsync(initial, cancellationToken),
            "LOGIN" => await ReadLoginAsync(initial, cancellationToken),
            _ => null,
        };
        if (mechanism is not ("PLAIN" or "LOGIN"))
        {
            Error("504 5.5.4 Unrecognized authentication type");
            return;
        }

        if (credentials is not { } given)
        {
            return; // the reader already answered (cancelled or malformed)
        }

        if (services.Throttle.IsBlocked(connection.RemoteAddress, given.User))
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

        if (!result.Succeeded)
        {
            services.Throttle.RecordFailure(connection.RemoteAddress, given.User.ToLowerInvariant());
            LogAuthFailed(connection.RemoteAddress.ToString(), given.User, result.FailureReason ?? "failed");
            await Task.Delay(services.Throttle.Options.FailureDelay, cancellationToken);
            Error("535 5.7.8 Error: authentication failed");
            return;
        }

        _user = result.Mailbox!.Username;
        Reply("235 2.7.0 Authentication successful");
    }

    private async Task<(string, string)?> ReadPlainAsync(string? initial, CancellationToken cancellationToken)
    {
        // "=" is an empty initial response (RFC 4954 §4); without one, the client is asked.
        var response = initial ?? await ChallengeAsync(string.Empty, cancellationToken);
        if (response is null)
        {
            return null;
        }

        if (!Sasl.TryDecodeBase64(response == "=" ? string.Empty : response, out var message))
        {
            Error("501 5.5.2 Error: invalid base64 data");
            return null;
        }

        if (!Sasl.TryParsePlain(message, out var user, out var password))
        {
            Error("535 5.7.8 Error: authentication failed: malformed PLAIN response");
            return null;
        }

        return (user, password);
    }

    private async Task<(string, string)?> ReadLoginAsync(string? initial, CancellationToken cancellationToken)
    {
        var userResponse = initial ?? await ChallengeAsync(Sasl.Encode("Username:"), cancellationToken);
        if (userResponse is null)
        {
            return null;
        }

        if (!Sasl.TryDecodeBase64(userResponse, out var user))
        {
            Error("501 5.5.2 Error: invalid base64 data");
            return null;
        }

        var passwordResponse = await ChallengeAsync(Sasl.Encode("Password:"), cancellationToken);
        if (passwordResponse is null)
        {
            return null;
        }

        if (!Sasl.TryDecodeBase64(passwordResponse, out var password))
        {
            Error("501 5.5.2 Error: invalid base64 data");
            return null;
        }

        return (user, password);
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
