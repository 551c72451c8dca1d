namespace MailServerless.EdgeServer.Api;

/// <summary>
/// A request whose parameters or body cannot be read (malformed JSON, a field of the wrong type, a size such as
/// <c>"12X"</c>) is answered 400 with problem details saying why, instead of a bare 400.
/// </summary>
public static class UnreadableBody
{
    public static async Task AnswerAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // The JSON reader's own message names the field and position; ours (a size) says what to write instead.
            var reason = e.InnerException is System.Text.Json.JsonException json ? json.Message : e.Message;
            await TypedResults.Problem(statusCode: e.StatusCode, title: "The request could not be read.", detail: reason).ExecuteAsync(context);
        }
    }
}
