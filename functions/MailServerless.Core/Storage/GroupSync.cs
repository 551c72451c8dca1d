using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace MailServerless.Core.Storage;

/// <summary>
/// Group commit for one file system: callers write and rename their files, then await
/// <see cref="SyncAsync"/>; one <c>syncfs(2)</c> makes everything written before it started durable,
/// for every caller waiting at that moment. Under load, one flush serves many messages instead of
/// one fsync per file and directory, with the same promise: nothing is acknowledged before it is on disk.
/// </summary>
public sealed partial class GroupSync : IDisposable
{
    private static readonly ConcurrentDictionary<string, GroupSync> ByPath = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly int _fd;
    private TaskCompletionSource? _pending;
    private bool _flushing;

    private GroupSync(string directory)
    {
        _fd = PosixFileSystem.OpenDirectory(directory);
        if (_fd < 0)
        {
            throw new IOException($"open({directory}) for syncfs failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The group commit for the file system that holds <paramref name="directory"/> (one per directory given).</summary>
    public static GroupSync For(string directory)
    {
        var full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        return ByPath.GetOrAdd(full, d => new GroupSync(d));
    }

    /// <summary>Completes once everything written before the call is durable.</summary>
    public Task SyncAsync()
    {
        lock (_gate)
        {
            _pending ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = _pending.Task;
            if (!_flushing)
            {
                _flushing = true;
                _ = Task.Run(FlushLoop);
            }

            return task;
        }
    }

    private void FlushLoop()
    {
        while (true)
        {
            TaskCompletionSource batch;
            lock (_gate)
            {
                if (_pending is null)
                {
                    _flushing = false;
                    return;
                }

                // Callers arriving from now on wait for the next flush: their writes may come after this one starts.
                batch = _pending;
                _pending = null;
            }

            if (SyncFs(_fd) == 0)
            {
                batch.SetResult();
            }
            else
            {
                batch.SetException(new IOException($"syncfs failed: errno {Marshal.GetLastPInvokeError()}"));
            }
        }
    }

    public void Dispose() => _ = PosixFileSystem.Close(_fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);
}
