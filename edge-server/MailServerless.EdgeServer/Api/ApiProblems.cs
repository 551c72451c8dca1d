using MailServerless.Core.Administration;

namespace MailServerless.EdgeServer.Api;

/// <summary>Refusals as RFC 7807 problem details: 422 naming the field, 404, 409, 403.</summary>
public static class ApiProblems
{
    public static IResult From(AdministrationException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Error switch
        {
            AdministrationError.Invalid => Results.ValidationProblem(
                new Dictionary<string, string[]> { [error.Field ?? "body"] = [error.Message] },
                detail: error.Message, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Invalid input.",
                extensions: new Dictionary<string, object?> { ["field"] = error.Field }),
            AdministrationError.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: error.Message),
            AdministrationError.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: error.Message),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: error.Message),
        };
    }
}
