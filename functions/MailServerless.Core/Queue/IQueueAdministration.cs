namespace MailServerless.Core.Queue;

/// <summary>Where a queued message is.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<QueueEntryState>))]
public enum QueueEntryState
{
    /// <summary>Due: the next free worker takes it.</summary>
    Waiting,

    /// <summary>Tried and failed for now; due again at <see cref="QueueEntry.Due"/>.</summary>
    Deferred,

    /// <summary>A worker is delivering it now.</summary>
    InFlight,

    /// <summary>Set aside by an operator (Postfix's hold queue): never tried until released.</summary>
    Held,

    /// <summary>Given up on (the dead-letter store), with its reason.</summary>
    Dead,
}

/// <summary>One message as the queue tools show it.</summary>
public sealed record QueueEntry(string Queue, QueuedMessage Message, QueueEntryState State, DateTimeOffset? Due);

/// <summary>What an operator's action on one message came to.</summary>
public enum QueueActionResult
{
    Done,

    /// <summary>No message with that id in that state.</summary>
    NotFound,

    /// <summary>A worker is delivering it now: try again in a moment.</summary>
    Busy,
}

/// <summary>
/// The queue tools (Postfix's <c>mailq</c>, <c>postqueue -f</c>, <c>postsuper -h/-H/-d/-r</c>) over one queue. The message
/// bodies are the blob store's: the caller removes a deleted message's body.
/// </summary>
public interface IQueueAdministration : IQueueStatistics
{
    /// <summary>Queued, deferred, in-flight and held messages, or with <paramref name="dead"/> the dead letters; oldest first.</summary>
    Task<IReadOnlyList<QueueEntry>> ListAsync(bool dead, CancellationToken cancellationToken = default);

    /// <summary>A message by id, in whatever state it is; null when there is none.</summary>
    Task<QueueEntry?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A deferred message is due now (<c>postqueue -i</c>); a held one stays held.</summary>
    Task<QueueActionResult> RetryNowAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Sets a waiting or deferred message aside until it is released (<c>postsuper -h</c>).</summary>
    Task<QueueActionResult> HoldAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Puts a held message back, due now (<c>postsuper -H</c>).</summary>
    Task<QueueActionResult> UnholdAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Removes a waiting, deferred, held or dead message for good (<c>postsuper -d</c>); no one is told.</summary>
    Task<QueueActionResult> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Puts dead letters (one, or all when <paramref name="id"/> is null) back into the queue, due now; returns how many.</summary>
    Task<int> RequeueDeadAsync(string? id, CancellationToken cancellationToken = default);
}
