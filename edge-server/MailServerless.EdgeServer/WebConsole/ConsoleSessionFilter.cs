using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// Runs around every console page: finds the session's actor (ending the session when its account is gone), turns a
/// refusal the page did not handle into 404 or 403 (the same answer whether another domain's object exists or not),
/// and after a change clears this process's directory cache, as the API does.
/// </summary>
public sealed class ConsoleSessionFilter(ConsoleSessions sessions) : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (http.User.Identity?.IsAuthenticated == true)
        {
            var actor = await sessions.ActorAsync(http);
            if (actor is null)
            {
                await http.SignOutAsync(ConsoleHosting.Scheme);
                context.Result = new RedirectResult("/login");
                return;
            }

            http.Items[ConsoleSessions.ActorKey] = actor;
        }

        var executed = await next();
        if (executed.Exception is AdministrationException { Error: AdministrationError.NotFound or AdministrationError.Forbidden } refused)
        {
            executed.ExceptionHandled = true;
            executed.Result = new StatusCodeResult(refused.Error == AdministrationError.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status403Forbidden);
        }

        if (!HttpMethods.IsGet(http.Request.Method) && http.RequestServices.GetService<Core.Accounts.IAccountDirectory>() is Core.Accounts.CachingAccountDirectory cache)
        {
            cache.Clear();
        }
    }
}
