using MailServerless.Core.Administration;

namespace MailServerless.EdgeServer.Api;

/// <summary>
/// <c>/api/queue</c>: the queue tools (Postfix's <c>mailq</c>, <c>postqueue -i</c>, <c>postsuper -h/-H/-d</c>, and the
/// dead letters' requeue), for superadmins. The command line's <c>admin queue</c> calls these on the running server,
/// which owns the spool.
/// </summary>
public static partial class AdminApi
{
    private static void MapQueue(RouteGroupBuilder api)
    {
        var queue = api.MapGroup("/queue").WithTags("Queue");
        queue.MapGet("/", (HttpContext c, QueueTools q, string? queue, bool? dead, CancellationToken ct) => q.ListAsync(Actor(c), queue, dead ?? false, ct));
        queue.MapGet("/{queue}/{id}", (HttpContext c, QueueTools q, string queue, string id, CancellationToken ct) => q.ShowAsync(Actor(c), queue, id, ct));
        queue.MapPost("/{queue}/{id}/retry", async (HttpContext c, QueueTools q, string queue, string id, CancellationToken ct) =>
        {
            await q.RetryAsync(Actor(c), queue, id, ct);
            return TypedResults.NoContent();
        });
        queue.MapPost("/{queue}/{id}/hold", async (HttpContext c, QueueTools q, string queue, string id, CancellationToken ct) =>
        {
            await q.HoldAsync(Actor(c), queue, id, ct);
            return TypedResults.NoContent();
        });
        queue.MapPost("/{queue}/{id}/release", async (HttpContext c, QueueTools q, string queue, string id, CancellationToken ct) =>
        {
            await q.ReleaseAsync(Actor(c), queue, id, ct);
            return TypedResults.NoContent();
        });
        queue.MapDelete("/{queue}/{id}", async (HttpContext c, QueueTools q, string queue, string id, CancellationToken ct) =>
        {
            await q.DeleteAsync(Actor(c), queue, id, ct);
            return TypedResults.NoContent();
        });
        queue.MapPost("/{queue}/requeue-dead", (HttpContext c, QueueTools q, string queue, string? id, CancellationToken ct) =>
            q.RequeueDeadAsync(Actor(c), queue, id, ct));
    }
}
