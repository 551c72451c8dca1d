using System.Security.Claims;
using MailServerless.Core.Accounts;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Api;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// Who a console session is. The cookie names only the account and whether it is an admin or a mailbox owner; the
/// rights are read again on every request (<see cref="AdminAuthenticator.FindAsync"/>), so an admin made inactive or
/// given fewer domains has them at once, and a deleted mailbox's session ends.
/// </summary>
public sealed class ConsoleSessions(AdminAuthenticator admins, IAccountDirectory mailboxes)
{
    public const string ActorKey = "MailServerless.Console.Actor";
    private const string KindClaim = "msl:kind";
    private const string LoginClaim = "msl:login";

    public static ClaimsPrincipal Principal(AdminActor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, actor.Username), new Claim(KindClaim, actor.OwnMailbox is null ? "admin" : "owner"),
                new Claim(LoginClaim, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ], ConsoleHosting.Scheme));
    }

    /// <summary>When the session's login was, or null for a cookie without it.</summary>
    public static DateTimeOffset? LoggedInAt(ClaimsPrincipal? principal) =>
        long.TryParse(principal?.FindFirst(LoginClaim)?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>The actor of the signed-in session, or null when its account is gone or inactive.</summary>
    public async Task<AdminActor?> ActorAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.User.Identity?.Name;
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        var origin = context.ClientAddress().ToString();
        return context.User.FindFirst(KindClaim)?.Value switch
        {
            "admin" => await admins.FindAsync(name, origin, context.RequestAborted),
            "owner" => await mailboxes.FindMailboxAsync(name, context.RequestAborted) is null ? null : AdminActor.Owner(name, origin),
            _ => null,
        };
    }

    /// <summary>The actor <see cref="ConsoleSessionFilter"/> found for this request; null before login.</summary>
    public static AdminActor? Current(HttpContext context) => context?.Items[ActorKey] as AdminActor;
}
