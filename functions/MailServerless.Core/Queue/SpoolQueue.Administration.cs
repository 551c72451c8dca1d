namespace MailServerless.Core.Queue;

/// <summary>
/// The queue tools on the spool, done by the process that owns it (so its index and the files never disagree): a
/// held message's envelope moves to <c>hold/</c>, a deleted one leaves a tombstone in <c>done/</c> (a late duplicate
/// enqueue of it does nothing), a requeued dead letter moves back to <c>queue/</c> due now.
/// </summary>
public sealed partial class SpoolQueue
{
    /// <summary>One release or requeue at a time: two for one message must not index it twice.</summary>
    private readonly SemaphoreSlim _requeue = new(1, 1);

    public Task<IReadOnlyList<QueueEntry>> ListAsync(bool dead, CancellationToken cancellationToken = default)
    {
        IEnumerable<QueueEntry> entries;
        if (dead)
        {
            entries = ReadFolder(_dead, QueueEntryState.Dead);
        }
        else
        {
            var now = _clock.GetUtcNow();
            List<QueueEntry> queued;
            lock (_sync)
            {
                queued = _entries.Values.Select(e => Describe(e, now)).ToList();
            }

            entries = queued.Concat(ReadFolder(_hold, QueueEntryState.Held));
        }

        return Task.FromResult<IReadOnlyList<QueueEntry>>(entries.OrderBy(e => e.Message.ReceivedAt).ThenBy(e => e.Message.Id, StringComparer.Ordinal).ToList());
    }

    public Task<QueueEntry?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!SpoolNames.IsValid(id))
        {
            return Task.FromResult<QueueEntry?>(null);
        }

        lock (_sync)
        {
            if (_entries.TryGetValue(id, out var entry))
            {
                return Task.FromResult<QueueEntry?>(Describe(entry, _clock.GetUtcNow()));
            }
        }

        return Task.FromResult(ReadOne(HoldPath(id), QueueEntryState.Held) ?? ReadOne(DeadPath(id), QueueEntryState.Dead));
    }

    public async Task<QueueActionResult> RetryNowAsync(string id, CancellationToken cancellationToken = default)
    {
        QueuedMessage current;
        lock (_sync)
        {
            if (!SpoolNames.IsValid(id) || !_entries.TryGetValue(id, out var entry))
            {
                return QueueActionResult.NotFound;
            }

            if (entry.Leased)
            {
                return QueueActionResult.Busy;
            }

            current = entry.Message;
        }

        // On disk first, so that a restart keeps it; then due, unless a worker took it meanwhile (its retry wrote a
        // newer envelope, which must not be overwritten with this one).
        var due = current with { NotBefore = null };
        await WriteEnvelopeAsync(QueuePath(id), due, CancellationToken.None);
        lock (_sync)
        {
            if (!_entries.TryGetValue(id, out var entry) || entry.Leased || !ReferenceEquals(entry.Message, current))
            {
                return QueueActionResult.Busy;
            }

            entry.Message = due;
            entry.Due = _clock.GetUtcNow();
            Schedule(entry);
        }

        _signal.Release();
        return QueueActionResult.Done;
    }

    public async Task<QueueActionResult> HoldAsync(string id, CancellationToken cancellationToken = default)
    {
        QueuedMessage message;
        lock (_sync)
        {
            if (!SpoolNames.IsValid(id) || !_entries.TryGetValue(id, out var entry))
            {
                return QueueActionResult.NotFound;
            }

            if (entry.Leased)
            {
                return QueueActionResult.Busy;
            }

            // Out of the index first: no worker can take it while its envelope moves.
            _entries.Remove(id);
            message = entry.Message;
        }

        try
        {
            // Held first, then out of queue/: a crash between the two leaves both, and the start keeps it held.
            await WriteEnvelopeAsync(HoldPath(id), message, CancellationToken.None);
            File.Delete(QueuePath(id));
        }
        catch
        {
            lock (_sync)
            {
                Add(new Entry(message, _clock.GetUtcNow()));
            }

            throw;
        }

        return QueueActionResult.Done;
    }

    public async Task<QueueActionResult> UnholdAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!SpoolNames.IsValid(id) || ReadOne(HoldPath(id), QueueEntryState.Held) is not { } held)
        {
            return QueueActionResult.NotFound;
        }

        await RequeueAsync(held.Message with { NotBefore = null }, HoldPath(id), cancellationToken);
        return QueueActionResult.Done;
    }

    public Task<QueueActionResult> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!SpoolNames.IsValid(id))
        {
            return Task.FromResult(QueueActionResult.NotFound);
        }

        lock (_sync)
        {
            if (_entries.TryGetValue(id, out var entry))
            {
                if (entry.Leased)
                {
                    return Task.FromResult(QueueActionResult.Busy);
                }

                _entries.Remove(id);
                File.WriteAllBytes(Path.Combine(_done, id), []);
                File.Delete(QueuePath(id));
                return Task.FromResult(QueueActionResult.Done);
            }
        }

        foreach (var path in new[] { HoldPath(id), DeadPath(id) })
        {
            if (File.Exists(path))
            {
                File.WriteAllBytes(Path.Combine(_done, id), []);
                File.Delete(path);
                return Task.FromResult(QueueActionResult.Done);
            }
        }

        return Task.FromResult(QueueActionResult.NotFound);
    }

    public async Task<int> RequeueDeadAsync(string? id, CancellationToken cancellationToken = default)
    {
        var dead = id is null ? ReadFolder(_dead, QueueEntryState.Dead).ToList()
            : SpoolNames.IsValid(id) && ReadOne(DeadPath(id), QueueEntryState.Dead) is { } one ? [one]
            : [];
        foreach (var entry in dead)
        {
            // Tried once more: still failing past its lifetime, it is dead-lettered (or bounced) again.
            await RequeueAsync(entry.Message with { DeadLetterReason = null, NotBefore = null }, DeadPath(entry.Message.Id), cancellationToken);
        }

        return dead.Count;
    }

    /// <summary>Moves an envelope from hold/ or dead/ back into the queue, due now (once, however often it is asked).</summary>
    private async Task RequeueAsync(QueuedMessage message, string from, CancellationToken cancellationToken)
    {
        await _requeue.WaitAsync(cancellationToken);
        try
        {
            lock (_sync)
            {
                if (_entries.ContainsKey(message.Id) || !File.Exists(from))
                {
                    // Released already (a second request for the same message).
                    return;
                }
            }

            await WriteEnvelopeAsync(QueuePath(message.Id), message, CancellationToken.None);
            File.Delete(from);
            lock (_sync)
            {
                Add(new Entry(message, _clock.GetUtcNow()));
            }
        }
        finally
        {
            _requeue.Release();
        }

        _signal.Release();
    }

    private QueueEntry Describe(Entry entry, DateTimeOffset now) => new(
        Name, entry.Message,
        entry.Leased ? QueueEntryState.InFlight : entry.Due > now ? QueueEntryState.Deferred : QueueEntryState.Waiting,
        entry.Leased ? null : entry.Due);

    private IEnumerable<QueueEntry> ReadFolder(string folder, QueueEntryState state) =>
        Directory.EnumerateFiles(folder, "*.json").Select(f => ReadOne(f, state)).OfType<QueueEntry>();

    /// <summary>An envelope in hold/ or dead/ (its path made from a checked id); null when there is none, or it cannot be read.</summary>
    private QueueEntry? ReadOne(string path, QueueEntryState state)
    {
        try
        {
            var message = QueuedMessage.FromJson(File.ReadAllText(path));
            return new QueueEntry(Name, message, state, null);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or MalformedEnvelopeException)
        {
            return null;
        }
    }
}
