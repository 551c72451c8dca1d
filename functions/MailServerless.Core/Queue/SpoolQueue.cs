using System.Text;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Queue;

/// <summary>
/// The embedded queue: one JSON envelope per file under <c>&lt;spool&gt;/&lt;name&gt;/queue/</c>, written with
/// fsync before <see cref="EnqueueAsync"/> returns. Leases live in memory, so whatever was in
/// flight when the process stopped is simply due again when it starts. Dead letters go to
/// <c>dead/</c>, messages an operator holds to <c>hold/</c>; completed ids leave a tombstone in <c>done/</c> for the
/// queue's lifetime so that a repeated enqueue of the same id does nothing. One process owns a spool folder (the queue
/// tools go through it: SpoolQueue.Administration.cs).
/// </summary>
public sealed partial class SpoolQueue : IMessageQueue, IQueueAdministration, IDisposable
{
    private readonly string _queue;
    private readonly string _dead;
    private readonly string _done;
    private readonly string _hold;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private readonly GroupSync _durability;

    /// <summary>Messages not leased, by due time: receiving costs O(log n) however long the queue is.</summary>
    private readonly SortedSet<(DateTimeOffset Due, long Sequence, string Id)> _waiting = [];
    private long _sequence;

    public SpoolQueue(string spoolFolder, string name, TimeProvider clock, ILogger<SpoolQueue> logger, TimeSpan? tombstoneLifetime = null)
    {
        Name = SpoolNames.Require(name, "queue name");
        var root = Path.Combine(Path.GetFullPath(spoolFolder), name);
        _queue = Path.Combine(root, "queue");
        _dead = Path.Combine(root, "dead");
        _done = Path.Combine(root, "done");
        _hold = Path.Combine(root, "hold");
        _clock = clock;
        _logger = logger;
        foreach (var folder in new[] { _queue, _dead, _done, _hold, Path.Combine(root, "tmp") })
        {
            Directory.CreateDirectory(folder);
        }

        _durability = GroupSync.For(root);

        Load(tombstoneLifetime ?? TimeSpan.FromDays(6));
    }

    public string Name { get; }

    /// <summary>Messages queued (leased or not).</summary>
    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _entries.Count;
            }
        }
    }

    public async Task EnqueueAsync(QueuedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var id = SpoolNames.Require(message.Id, "queue id");
        lock (_sync)
        {
            if (_entries.ContainsKey(id) || File.Exists(Path.Combine(_done, id)) || File.Exists(DeadPath(id)) || File.Exists(HoldPath(id)))
            {
                return;
            }
        }

        await WriteEnvelopeAsync(QueuePath(id), message, cancellationToken);
        lock (_sync)
        {
            // Two enqueues of one id may both have written the (same) file: index it once.
            if (_entries.ContainsKey(id))
            {
                return;
            }

            Add(new Entry(message, message.NotBefore ?? _clock.GetUtcNow()));
        }

        _signal.Release();
    }

    public async Task<IReadOnlyList<QueueLease>> ReceiveAsync(int max, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var deadline = _clock.GetUtcNow() + wait;
        while (true)
        {
            TimeSpan sleep;
            lock (_sync)
            {
                var now = _clock.GetUtcNow();
                var leases = new List<QueueLease>();
                while (leases.Count < max && _waiting.Count > 0 && _waiting.Min.Due <= now)
                {
                    var first = _waiting.Min;
                    _waiting.Remove(first);
                    // A due time changed since (a retry, or an operator's "now") left this one behind: skip it.
                    if (!_entries.TryGetValue(first.Id, out var entry) || entry.Leased || entry.Sequence != first.Sequence)
                    {
                        continue;
                    }

                    entry.Leased = true;
                    entry.ReceiveCount++;
                    leases.Add(new QueueLease(entry.Message, entry.Message.Id, entry.ReceiveCount));
                }

                if (leases.Count > 0)
                {
                    return leases;
                }

                var next = _waiting.Count > 0 ? _waiting.Min.Due : DateTimeOffset.MaxValue;
                var until = next < deadline ? next : deadline;
                sleep = until - now;
                if (sleep <= TimeSpan.Zero)
                {
                    if (now >= deadline)
                    {
                        return [];
                    }

                    sleep = TimeSpan.FromMilliseconds(1);
                }
            }

            await _signal.WaitAsync(sleep, cancellationToken);
        }
    }

    public Task CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var id = lease.Message.Id;
        // Not synced: an envelope that outlives a crash is delivered again, and delivery is idempotent.
        File.WriteAllBytes(Path.Combine(_done, id), []);
        File.Delete(QueuePath(id));
        lock (_sync)
        {
            _entries.Remove(id);
        }

        return Task.CompletedTask;
    }

    public async Task RetryAsync(QueueLease lease, TimeSpan delay, QueuedMessage? remaining = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var due = _clock.GetUtcNow() + delay;
        var updated = (remaining ?? lease.Message) with { Id = lease.Message.Id, Attempt = lease.Message.Attempt + 1, NotBefore = due };
        await WriteEnvelopeAsync(QueuePath(updated.Id), updated, cancellationToken);
        lock (_sync)
        {
            if (_entries.TryGetValue(updated.Id, out var entry) && entry.Leased)
            {
                entry.Message = updated;
                entry.Due = due;
                entry.Leased = false;
                Schedule(entry);
            }
        }

        _signal.Release();
    }

    public Task ReleaseAsync(QueueLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_sync)
        {
            if (_entries.TryGetValue(lease.Message.Id, out var entry) && entry.Leased)
            {
                entry.Leased = false;
                Schedule(entry);
            }
        }

        _signal.Release();
        return Task.CompletedTask;
    }

    public async Task DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var dead = lease.Message with { DeadLetterReason = reason };
        await WriteEnvelopeAsync(DeadPath(dead.Id), dead, cancellationToken);
        File.Delete(QueuePath(dead.Id));
        lock (_sync)
        {
            _entries.Remove(dead.Id);
        }

        LogDeadLettered(Name, dead.Id, reason);
    }

    public Task<QueueStatistics> StatisticsAsync(CancellationToken cancellationToken = default)
    {
        var dead = Directory.EnumerateFiles(_dead, "*.json").LongCount();
        var held = Directory.EnumerateFiles(_hold, "*.json").LongCount();
        lock (_sync)
        {
            var inFlight = _entries.Values.LongCount(e => e.Leased);
            DateTimeOffset? oldest = _entries.Count == 0 ? null : _entries.Values.Min(e => e.Message.ReceivedAt);
            return Task.FromResult(new QueueStatistics(Name, _entries.Count - inFlight, inFlight, held, dead, oldest));
        }
    }

    /// <summary>Body keys that queued, held or dead-lettered envelopes still refer to.</summary>
    public IReadOnlySet<string> ReferencedBodyKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        lock (_sync)
        {
            keys.UnionWith(_entries.Values.Select(e => e.Message.BodyKey));
        }

        foreach (var dead in Directory.EnumerateFiles(_dead, "*.json").Concat(Directory.EnumerateFiles(_hold, "*.json")))
        {
            try
            {
                keys.Add(QueuedMessage.FromJson(File.ReadAllText(dead)).BodyKey);
            }
            catch (MalformedEnvelopeException)
            {
                // Nothing to keep for it.
            }
        }

        return keys;
    }

    /// <summary>The dead-lettered envelopes (for operators and tests).</summary>
    public IReadOnlyList<QueuedMessage> DeadLetters() =>
        Directory.EnumerateFiles(_dead, "*.json").Select(f => QueuedMessage.FromJson(File.ReadAllText(f))).ToList();

    public void Dispose()
    {
        _signal.Dispose();
        _requeue.Dispose();
    }

    private void Load(TimeSpan tombstoneLifetime)
    {
        foreach (var file in Directory.EnumerateFiles(_queue, "*.json"))
        {
            try
            {
                var message = QueuedMessage.FromJson(File.ReadAllText(file));
                if (!SpoolNames.IsValid(message.Id) || Path.GetFileNameWithoutExtension(file) != message.Id)
                {
                    throw new MalformedEnvelopeException($"envelope id '{message.Id}' does not match its file");
                }

                if (File.Exists(Path.Combine(_done, message.Id)) || File.Exists(DeadPath(message.Id)) || File.Exists(HoldPath(message.Id)))
                {
                    // Completed, dead-lettered or held just before a crash that kept the queue file (a release cut
                    // short too: it stays held, to be released again, rather than queued twice).
                    File.Delete(file);
                    continue;
                }

                Add(new Entry(message, message.NotBefore ?? _clock.GetUtcNow()));
            }
            catch (MalformedEnvelopeException e)
            {
                // Keep the bytes for an operator; the rest of the queue goes on.
                var name = Path.GetFileName(file);
                File.Move(file, Path.Combine(_dead, name + ".malformed"), overwrite: true);
                File.WriteAllText(Path.Combine(_dead, name + ".reason"), e.Message);
                LogDeadLettered(Name, name, e.Message);
            }
        }

        var cutoff = _clock.GetUtcNow().UtcDateTime - tombstoneLifetime;
        foreach (var tombstone in Directory.EnumerateFiles(_done))
        {
            if (File.GetLastWriteTimeUtc(tombstone) < cutoff)
            {
                File.Delete(tombstone);
            }
        }

        if (_entries.Count > 0)
        {
            LogRecovered(Name, _entries.Count);
        }
    }

    /// <summary>Adds a message that is not leased (callers hold the lock).</summary>
    private void Add(Entry entry)
    {
        _entries[entry.Message.Id] = entry;
        Schedule(entry);
    }

    /// <summary>Makes the entry due at its <see cref="Entry.Due"/>; an earlier schedule of it no longer counts (callers hold the lock).</summary>
    private void Schedule(Entry entry)
    {
        entry.Sequence = ++_sequence;
        _waiting.Add((entry.Due, entry.Sequence, entry.Message.Id));
    }

    private async Task WriteEnvelopeAsync(string path, QueuedMessage message, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(Path.GetDirectoryName(folder)!, "tmp", Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N"));
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(message.ToJson()), cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
        // Group commit: the envelope (and whatever else was written before) is durable once this returns.
        await _durability.SyncAsync();
    }

    private string QueuePath(string id) => Path.Combine(_queue, id + ".json");

    private string DeadPath(string id) => Path.Combine(_dead, id + ".json");

    private string HoldPath(string id) => Path.Combine(_hold, id + ".json");

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Queue {Queue}: {Id} dead-lettered: {Reason}")]
    private partial void LogDeadLettered(string queue, string id, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Queue {Queue}: {Count} message(s) found in the spool at start")]
    private partial void LogRecovered(string queue, int count);

    private sealed class Entry(QueuedMessage message, DateTimeOffset due)
    {
        public QueuedMessage Message { get; set; } = message;

        public DateTimeOffset Due { get; set; } = due;

        public bool Leased { get; set; }

        public int ReceiveCount { get; set; }

        /// <summary>The schedule in <c>_waiting</c> that counts; older ones are skipped.</summary>
        public long Sequence { get; set; }
    }
}
