using Dapper;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.EdgeServer.Hosting;

/// <summary><c>GET /</c> names the server; <c>GET /health</c> checks that the directory answers.</summary>
public static class StatusEndpoints
{
    public static void MapStatusEndpoints(this WebApplication app)
    {
        app.MapGet("/", () => TypedResults.Text("MailServerless edge server\n"));
        app.MapGet("/health", async (DirectoryDatabase database, CancellationToken cancellationToken) =>
        {
            try
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
                return Results.Text("ok\n");
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                return Results.Problem(detail: $"directory unavailable: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
    }
}
