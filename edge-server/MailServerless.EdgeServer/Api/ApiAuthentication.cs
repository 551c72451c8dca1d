using System.Net;
using System.Text;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Api;

/// <summary>
/// Every API call authenticates itself (HTTP Basic, RFC 7617, with an admin's address and password, or a
/// mailbox owner's mail address and password for their own mailbox) — no
/// identity header from a proxy or API Gateway is trusted. Failures are throttled per client address and
/// per account, like mail logins.
/// </summary>
public sealed class ApiAuthentication(AdminAuthenticator authenticator, ApiKeys keys, Core.Accounts.IAccountDirectory mailboxes, AuthThrottle throttle)
{
    public const string ActorKey = "MailServerless.Actor";
    private const string Challenge = "Basic realm=\"MailServerless\", charset=\"UTF-8\"";

    /// <summary>The admin making the call, or the problem to answer with (401 or 429).</summary>
    public async Task<(AdminActor? Actor, IResult? Refusal)> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Connection.RemoteIpAddress is { } remote && remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4()
            : context.Connection.RemoteIpAddress ?? IPAddress.None;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return await AuthenticateKeyAsync(context, client, header[7..].Trim());
        }

        if (!TryReadBasic(header, out var user, out var password))
        {
            return (null, Unauthorized(context, "Authentication required (HTTP Basic with an admin's address and password)."));
        }

        var account = user.Trim().ToLowerInvariant();
        using var attempt = await throttle.BeginAsync(client, account, context.RequestAborted);
        if (attempt is null)
        {
            context.Response.Headers.RetryAfter = ((int)throttle.Options.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed logins; try again later."));
        }

        var actor = await authenticator.AuthenticateAsync(account, password, client.ToString(), context.RequestAborted);
        if (actor is null)
        {
            // Not an admin: a mailbox owner with their mail password (PostfixAdmin's user area).
            try
            {
                var owner = await mailboxes.AuthenticateAsync(account, password, context.RequestAborted);
                actor = owner.Succeeded ? AdminActor.Owner(owner.Mailbox!.Username, client.ToString()) : null;
            }
            catch (Core.Accounts.DirectoryUnavailableException)
            {
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The directory does not answer."));
            }
        }

        if (actor is null)
        {
            attempt.Fail();
            await Task.Delay(throttle.Options.FailureDelay, context.RequestAborted);
            return (null, Unauthorized(context, "Authentication failed."));
        }

        return (actor, null);
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
        if (actor is null)
        {
            attempt.Fail();
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
}
