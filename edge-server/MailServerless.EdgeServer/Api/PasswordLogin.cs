using System.Net;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Api;

/// <summary>How a password login ended.</summary>
public enum PasswordLoginResult
{
    Succeeded,
    Failed,

    /// <summary>Too many failures from this client (for this account): not even tried.</summary>
    Throttled,
    DirectoryUnavailable,
}

/// <summary>
/// A login with an address and password over HTTP, for the admin API and the web console alike: an admin
/// first, then a mailbox owner with their mail password (PostfixAdmin's user area). Failures are throttled per
/// client and per account like mail logins, answered only after <see cref="AuthOptions.FailureDelay"/>, and each
/// is logged with the client for fail2ban (<c>api authentication failed from [client] user=...</c>).
/// </summary>
public sealed partial class PasswordLogin(
    AdminAuthenticator authenticator, Core.Accounts.IAccountDirectory mailboxes, AuthThrottle throttle, Core.Configuration.MailOptions options,
    ILogger<PasswordLogin> logger)
{
    public AuthThrottle Throttle => throttle;

    /// <summary>
    /// Credentials are taken over TLS, or over plain HTTP only from loopback (Dovecot's <c>disable_plaintext_auth</c>)
    /// unless <c>Mail:Listeners:AllowPlainHttpLogin</c> says a proxy in front terminates TLS.
    /// </summary>
    public bool MayTakeCredentials(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Request.IsHttps || IPAddress.IsLoopback(context.ClientAddress()) || options.Listeners.AllowPlainHttpLogin;
    }

    /// <param name="protocol">How the log names the service: <c>api</c>, <c>console</c> (the metrics count both as <c>http</c>).</param>
    public async Task<(PasswordLoginResult Result, AdminActor? Actor)> LogInAsync(
        IPAddress client, string user, string password, string protocol, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var account = user.Trim().ToLowerInvariant();
        using var attempt = await throttle.BeginAsync(client, account, cancellationToken);
        if (attempt is null)
        {
            return (PasswordLoginResult.Throttled, null);
        }

        var actor = await authenticator.AuthenticateAsync(account, password, client.ToString(), cancellationToken);
        if (actor is null)
        {
            try
            {
                var owner = await mailboxes.AuthenticateAsync(account, password, cancellationToken);
                actor = owner.Succeeded ? AdminActor.Owner(owner.Mailbox!.Username, client.ToString()) : null;
            }
            catch (Core.Accounts.DirectoryUnavailableException)
            {
                return (PasswordLoginResult.DirectoryUnavailable, null);
            }
        }

        Core.Diagnostics.MailMetrics.Login("http", actor is not null);
        if (actor is null)
        {
            attempt.Fail();
            LogFailed(protocol, client, Core.Diagnostics.LogText.Safe(account));
            await Task.Delay(throttle.Options.FailureDelay, cancellationToken);
            return (PasswordLoginResult.Failed, null);
        }

        return (PasswordLoginResult.Succeeded, actor);
    }

    [LoggerMessage(EventId = 6060, Level = LogLevel.Warning, Message = "{Protocol} authentication failed from [{Client}] user={User}")]
    private partial void LogFailed(string protocol, IPAddress client, string user);
}
