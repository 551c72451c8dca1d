using System.Text;
using MailServerless.Core.Queue;

namespace MailServerless.Core.Administration;

/// <summary>A queued message as the queue tools list it (Postfix's <c>mailq</c> line, with the state and the last error).</summary>
public sealed record QueuedMessageView(
    string Queue, string Id, QueueEntryState State, string Sender, IReadOnlyList<string> Recipients, long Size, DateTimeOffset ReceivedAt,
    long AgeSeconds, int Attempts, DateTimeOffset? Due, string? LastError, string? DeadLetterReason);

/// <summary>One message in full: its envelope, where it came from, and its header section (<c>postcat -eh</c>).</summary>
public sealed record QueuedMessageDetail(QueuedMessageView Message, string? ClientAddress, string? ClientHelo, string? AuthenticatedUser, string Headers);

/// <summary>What <c>requeue-dead</c> did.</summary>
public sealed record RequeuedDead(string Queue, int Count);

/// <summary>
/// The queue tools over every queue (inbound, outbound): for superadmins only, since a queue holds everyone's mail.
/// Every action is written to the administration log (<c>queue_hold</c>, <c>queue_release</c>, <c>queue_retry</c>,
/// <c>queue_delete</c>, <c>queue_requeue_dead</c>, with <c>queue/id</c>); a deleted message's body goes with it.
/// </summary>
public sealed class QueueTools(IReadOnlyList<IQueueAdministration> queues, IBlobStore blobs, AdministrationLog log, TimeProvider clock)
{
    /// <summary>The header section shown of a message: more is cut.</summary>
    private const int MaxHeaderBytes = 64 * 1024;

    public IReadOnlyList<string> Names => queues.Select(q => q.Name).ToList();

    public async Task<IReadOnlyList<QueuedMessageView>> ListAsync(AdminActor actor, string? queue, bool dead, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        var views = new List<QueuedMessageView>();
        foreach (var each in queue is null ? queues : [Queue(queue)])
        {
            views.AddRange((await each.ListAsync(dead, cancellationToken)).Select(View));
        }

        return views;
    }

    public async Task<QueuedMessageDetail> ShowAsync(AdminActor actor, string queue, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        var entry = await Queue(queue).FindAsync(id, cancellationToken) ?? throw AdministrationException.NotFound($"No message {id} in the {queue} queue.");
        var message = entry.Message;
        return new QueuedMessageDetail(View(entry), message.ClientAddress, message.ClientHelo, message.AuthenticatedUser,
            await HeadersAsync(message.BodyKey, cancellationToken));
    }

    public Task RetryAsync(AdminActor actor, string queue, string id, CancellationToken cancellationToken = default) =>
        ActAsync(actor, queue, id, "queue_retry", "retried", q => q.RetryNowAsync(id, cancellationToken), cancellationToken);

    public Task HoldAsync(AdminActor actor, string queue, string id, CancellationToken cancellationToken = default) =>
        ActAsync(actor, queue, id, "queue_hold", "held", q => q.HoldAsync(id, cancellationToken), cancellationToken);

    public Task ReleaseAsync(AdminActor actor, string queue, string id, CancellationToken cancellationToken = default) =>
        ActAsync(actor, queue, id, "queue_release", "released", q => q.UnholdAsync(id, cancellationToken), cancellationToken);

    public async Task DeleteAsync(AdminActor actor, string queue, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        var entry = await Queue(queue).FindAsync(id, cancellationToken) ?? throw AdministrationException.NotFound($"No message {id} in the {queue} queue.");
        await ActAsync(actor, queue, id, "queue_delete", "deleted", q => q.DeleteAsync(id, cancellationToken), cancellationToken);
        // Its body was its own: the claim check is done with.
        await blobs.DeleteAsync(entry.Message.BodyKey, cancellationToken);
    }

    public async Task<RequeuedDead> RequeueDeadAsync(AdminActor actor, string queue, string? id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        var count = await Queue(queue).RequeueDeadAsync(id, cancellationToken);
        if (id is not null && count == 0)
        {
            throw AdministrationException.NotFound($"No dead letter {id} in the {queue} queue.");
        }

        await log.WriteAsync(actor, string.Empty, "queue_requeue_dead", $"{queue}/{id ?? "*"} ({count})", cancellationToken);
        return new RequeuedDead(queue, count);
    }

    private async Task ActAsync(
        AdminActor actor, string queue, string id, string action, string done, Func<IQueueAdministration, Task<QueueActionResult>> act,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        switch (await act(Queue(queue)))
        {
            case QueueActionResult.NotFound:
                throw AdministrationException.NotFound($"No message {id} in the {queue} queue that can be {done}.");
            case QueueActionResult.Busy:
                throw AdministrationException.Conflict($"{id} is being delivered right now; try again in a moment.");
        }

        await log.WriteAsync(actor, string.Empty, action, $"{queue}/{id}", cancellationToken);
    }

    private IQueueAdministration Queue(string name) =>
        queues.FirstOrDefault(q => q.Name == name) ?? throw AdministrationException.NotFound($"No queue {name} (the queues: {string.Join(", ", Names)}).");

    private QueuedMessageView View(QueueEntry entry)
    {
        var message = entry.Message;
        return new QueuedMessageView(
            entry.Queue, message.Id, entry.State, message.MailFrom, message.Recipients, message.Size, message.ReceivedAt,
            (long)Math.Max(0, (clock.GetUtcNow() - message.ReceivedAt).TotalSeconds), message.Attempt, entry.Due, message.LastError,
            message.DeadLetterReason);
    }

    /// <summary>The body's header section (up to the empty line), at most <see cref="MaxHeaderBytes"/>; empty when the body is gone.</summary>
    private async Task<string> HeadersAsync(string bodyKey, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await blobs.OpenReadAsync(bodyKey, cancellationToken);
            var buffer = new byte[MaxHeaderBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }

            var text = Encoding.UTF8.GetString(buffer, 0, length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var crlf and >= 0 ? crlf + 2
                : text.IndexOf("\n\n", StringComparison.Ordinal) is var lf and >= 0 ? lf + 1
                : text.Length;
            return text[..end];
        }
        catch (BlobNotFoundException)
        {
            return string.Empty;
        }
    }
}
