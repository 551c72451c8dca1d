using System.Net;
using System.Text;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Api;

/// <summary>
/// Every API call authenticates itself (HTTP Basic, RFC 7617, with an admin's address and password, or a
/// mailbox owner's mail address and password for their own mailbox) — no
/// identity header from a proxy or API Gateway is trusted. Failures are throttled per client address and
/// per account, like mail logins, and each is logged with the client for fail2ban. Credentials are refused
/// over plain HTTP from anywhere but loopback (Dovecot's <c>disable_plaintext_auth</c>, for the API) unless
/// <c>Mail:Listeners:AllowPlainHttpLogin</c> says a proxy in front terminates TLS.
/// </summary>
public sealed partial class ApiAuthentication(
    AdminAuthenticator authenticator, ApiKeys keys, PasswordLogin login, AuthThrottle throttle,
    ControlToken control, ILogger<ApiAuthentication> logger)
{
    public const string ActorKey = "MailServerless.Actor";
    private const string Challenge = "Basic realm=\"MailServerless\", charset=\"UTF-8\"";

    /// <summary>The admin making the call, or the problem to answer with (401 or 429).</summary>
    public async Task<(AdminActor? Actor, IResult? Refusal)> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.ClientAddress();
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0 && !login.MayTakeCredentials(context))
        {
            LogPlainHttp(client);
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden,
                title: "Log in over HTTPS (Mail:Listeners:Https); credentials are not taken over plain HTTP from other hosts."));
        }

        // This machine only: loopback, or the listener's own address when Mail:Listeners:HttpAddress names one.
        if (header.StartsWith("Bearer " + ControlToken.Prefix, StringComparison.OrdinalIgnoreCase) &&
            (IPAddress.IsLoopback(client) || client.Equals(context.Connection.LocalIpAddress)))
        {
            return await AuthenticateCommandLineAsync(context, header[7..].Trim());
        }

        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return await AuthenticateKeyAsync(context, client, header[7..].Trim());
        }

        if (!TryReadBasic(header, out var user, out var password))
        {
            return (null, Unauthorized(context, "Authentication required (HTTP Basic with an admin's address and password)."));
        }

        var (result, actor) = await login.LogInAsync(client, user, password, "api", context.RequestAborted);
        switch (result)
        {
            case PasswordLoginResult.Throttled:
                context.Response.Headers.RetryAfter = ((int)throttle.Options.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed logins; try again later."));
            case PasswordLoginResult.DirectoryUnavailable:
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The directory does not answer."));
            case PasswordLoginResult.Failed:
                return (null, Unauthorized(context, "Authentication failed."));
        }

        return (actor, null);
    }

    /// <summary>The command line on this machine (<see cref="ControlToken"/>): the first active superadmin, as the other admin verbs act.</summary>
    private async Task<(AdminActor? Actor, IResult? Refusal)> AuthenticateCommandLineAsync(HttpContext context, string token)
    {
        if (!control.Matches(token))
        {
            return (null, Unauthorized(context, "The control token is not this server's (restarted since it was read?)."));
        }

        return (await authenticator.FirstSuperadminAsync(context.RequestAborted) ?? AdminActor.CommandLine, null);
    }

    /// <summary>An API key acts as the admin it was made for, with that admin's rights now.</summary>
    private async Task<(AdminActor? Actor, IResult? Refusal)> AuthenticateKeyAsync(HttpContext context, IPAddress client, string key)
    {
        using var attempt = throttle.TryBegin(client, null);
        if (attempt is null)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed logins; try again later."));
        }

        var username = await keys.VerifyAsync(key, context.RequestAborted);
        var actor = username is null ? null : await authenticator.FindAsync(username, $"{client}, API key", context.RequestAborted);
        Core.Diagnostics.MailMetrics.Login("http", actor is not null);
        if (actor is null)
        {
            attempt.Fail();
            LogKeyFailed(client);
            await Task.Delay(throttle.Options.FailureDelay, context.RequestAborted);
            return (null, Unauthorized(context, "Invalid API key."));
        }

        return (actor, null);
    }

    private static IResult Unauthorized(HttpContext context, string title)
    {
        context.Response.Headers.WWWAuthenticate = Challenge;
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title);
    }

    private static bool TryReadBasic(string header, out string user, out string password)
    {
        user = password = string.Empty;
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var buffer = new byte[header.Length];
        if (!Convert.TryFromBase64String(header[6..].Trim(), buffer, out var length))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
        return true;
    }

    [LoggerMessage(EventId = 6062, Level = LogLevel.Warning, Message = "api authentication failed from [{Client}] user=(API key)")]
    private partial void LogKeyFailed(IPAddress client);

    [LoggerMessage(EventId = 6061, Level = LogLevel.Warning, Message = "api login over plain HTTP refused from [{Client}]")]
    private partial void LogPlainHttp(IPAddress client);
}
