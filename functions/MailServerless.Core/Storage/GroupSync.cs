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

    /// <summary>
    /// The group commit for the file system that holds <paramref name="directory"/>: one per mount, so that the spool's
    /// bodies and envelopes and the Maildirs on the same disk share each flush (one <c>syncfs</c> covers them all).
    /// </summary>
    public static GroupSync For(string directory)
    {
        var full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        return ByPath.GetOrAdd(MountPointOf(full), _ => new GroupSync(full));
    }

    /// <summary>The longest mount point (from <c>/proc/self/mountinfo</c>) that holds <paramref name="path"/>; the path itself if unknown.</summary>
    internal static string MountPointOf(string path)
    {
        // Symbolic links resolved first (realpath(3)): a linked folder lives where its target does.
        var real = RealPath(path, 0);
        if (real != 0)
        {
            path = Marshal.PtrToStringUTF8(real) ?? path;
            Free(real);
        }

        if (!File.Exists("/proc/self/mountinfo"))
        {
            return path;
        }

        var best = string.Empty;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw": the fifth field.
            var fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }

            var mount = UnescapeOctal(fields[4]);
            var within = mount == "/" || path == mount || path.StartsWith(mount + "/", StringComparison.Ordinal);
            if (within && mount.Length > best.Length)
            {
                best = mount;
            }
        }

        return best.Length > 0 ? best : path;
    }

    /// <summary>mountinfo writes a space, tab, newline or backslash in a path as a backslash and three octal digits.</summary>
    private static string UnescapeOctal(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                builder.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

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

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);
}
