using Dapper;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.EdgeServer.Hosting;

/// <summary><c>GET /health</c> checks that the directory answers; <c>GET /</c> names the server where the web console is not served.</summary>
public static class StatusEndpoints
{
    public static void MapStatusEndpoints(this WebApplication app, bool nameAtRoot)
    {
        if (nameAtRoot)
        {
            app.MapGet("/", () => TypedResults.Text("MailServerless edge server\n"));
        }

        app.MapGet("/health", async (DirectoryDatabase database, CancellationToken cancellationToken) =>
            await DirectoryProblemAsync(database, cancellationToken) is { } problem
                ? Results.Problem(detail: $"directory unavailable: {problem}", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ok\n"));
    }

    /// <summary>Null when the directory answers a query; otherwise why not.</summary>
    public static async Task<string?> DirectoryProblemAsync(DirectoryDatabase database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            return null;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException
                                       || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return e.Message;
        }
    }
}
