using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// Runs around every console page: finds the session's actor (ending the session when its account is gone), turns a
/// refusal the page did not handle into the API's status with its message (404, 403, 400, 409), and after a change clears this process's directory cache, as the API does.
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
        if (executed.Exception is AdministrationException refused)
        {
            // The API's answer: 404, 403 (the same for another domain's object whether it exists or not), 400, 409.
            executed.ExceptionHandled = true;
            executed.Result = new ContentResult
            {
                StatusCode = refused.Error switch
                {
                    AdministrationError.NotFound => StatusCodes.Status404NotFound,
                    AdministrationError.Forbidden => StatusCodes.Status403Forbidden,
                    AdministrationError.Conflict => StatusCodes.Status409Conflict,
                    _ => StatusCodes.Status400BadRequest,
                },
                Content = refused.Message,
                ContentType = "text/plain; charset=utf-8",
            };
        }

        if (!HttpMethods.IsGet(http.Request.Method) && http.RequestServices.GetService<Core.Accounts.IAccountDirectory>() is Core.Accounts.CachingAccountDirectory cache)
        {
            cache.Clear();
        }
    }
}
