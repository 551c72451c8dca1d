using System.Globalization;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// A lock file beside the file it guards (<c>dovecot-uidlist.lock</c>), taken the way Dovecot takes
/// it, so our processes and Dovecot exclude each other, on one host or several sharing NFS/EFS:
/// created with O_EXCL, holding <c>&lt;pid&gt;:&lt;hostname&gt;</c>, removed on release. A holder on this
/// host that is alive is never overridden; a dead one's lock goes after 2 seconds; a lock from
/// another host (or unreadable) goes when neither it nor the guarded file changed for
/// <see cref="StaleAfter"/> (Dovecot: 120 s).
/// </summary>
public sealed class DotLock : IAsyncDisposable
{
    private static readonly TimeSpan DeadLocalHolderAge = TimeSpan.FromSeconds(2);
    private readonly string _path;
    private readonly string _token;
    private DateTime _created;

    private DotLock(string path, string token, DateTime created)
    {
        _path = path;
        _token = token;
        _created = created;
    }

    /// <summary>Dovecot's MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT.</summary>
    public static TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Takes the lock on <paramref name="guardedFile"/>, waiting up to <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">The lock was held by a live holder for the whole wait.</exception>
    public static async Task<DotLock> AcquireAsync(string guardedFile, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var path = guardedFile + ".lock";
        var token = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}:{Environment.MachineName}");
        var deadline = DateTime.UtcNow + timeout;
        var delay = 5;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                try
                {
                    await file.WriteAsync(Encoding.ASCII.GetBytes(token), cancellationToken);
                    await file.DisposeAsync();
                }
                catch
                {
                    // An empty lock would hold everyone (Dovecot too) off for two minutes.
                    await file.DisposeAsync();
                    File.Delete(path);
                    throw;
                }

                return new DotLock(path, token, File.GetLastWriteTimeUtc(path));
            }
            catch (IOException e) when (IsAlreadyExists(e))
            {
                // Held (or released between our attempt and now): check for staleness, then try again.
                RemoveIfStale(path, guardedFile);
            }

            // A second attempt always follows the first: a stale lock just removed is then taken.
            if (DateTime.UtcNow > deadline && attempt > 1)
            {
                throw new TimeoutException($"{path} is held by another process");
            }

            await Task.Delay(Random.Shared.Next(delay, delay * 2), cancellationToken);
            delay = Math.Min(delay * 2, 200);
        }
    }

    /// <summary>EEXIST on Unix (HResult 17), ERROR_FILE_EXISTS (0x50) on Windows.</summary>
    internal static bool IsAlreadyExists(IOException e) =>
        e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException) &&
        (e.HResult & 0xFFFF) is 17 or 0x50;

    private static void RemoveIfStale(string path, string guardedFile)
    {
        try
        {
            var content = File.ReadAllText(path);
            var lockAge = DateTime.UtcNow - File.GetLastWriteTimeUtc(path);
            var parts = content.Split(':', 2);
            bool stale;
            if (parts.Length == 2 && parts[1] == Environment.MachineName &&
                int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                // Our own pid on a lock older than this process is a previous incarnation's (a container
                // restarted with the same pid and host name): stale, as is a dead holder's.
                var olderThanUs = pid == Environment.ProcessId && File.GetLastWriteTimeUtc(path) < ProcessStart;
                stale = (olderThanUs || !ProcessIsAlive(pid)) && lockAge > DeadLocalHolderAge;
            }
            else
            {
                var guardedAge = File.Exists(guardedFile) ? DateTime.UtcNow - File.GetLastWriteTimeUtc(guardedFile) : TimeSpan.MaxValue;
                stale = lockAge > StaleAfter && guardedAge > StaleAfter;
            }

            if (stale)
            {
                // Move it aside and check it is still the lock judged stale: between the check and
                // now another waiter may have removed it and a live holder taken a new one.
                var aside = path + "." + Guid.NewGuid().ToString("N") + ".stale";
                File.Move(path, aside);
                if (File.ReadAllText(aside) == content && DateTime.UtcNow - File.GetLastWriteTimeUtc(aside) >= lockAge - TimeSpan.FromSeconds(1))
                {
                    File.Delete(aside);
                }
                else
                {
                    // Someone's fresh lock: put it back unless a newer one exists already.
                    try
                    {
                        PosixFileSystem.Link(aside, path);
                    }
                    catch (IOException)
                    {
                        // The lock was taken again meanwhile; theirs stands.
                    }

                    File.Delete(aside);
                }
            }
        }
        catch (IOException)
        {
            // Someone else removed or replaced it first.
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to judge.
        }
    }

    private static readonly DateTime ProcessStart = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();

    private static bool ProcessIsAlive(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Shows the lock is still held (a long session's heartbeat): a lock from another host is
    /// stale only when it has not changed for <see cref="StaleAfter"/>.
    /// </summary>
    public void Refresh()
    {
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(_path, now);
        _created = File.GetLastWriteTimeUtc(_path);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            // Only remove our own lock: after a stale-lock takeover the file may be someone else's.
            if (File.Exists(_path) && File.GetLastWriteTimeUtc(_path) == _created && File.ReadAllText(_path) == _token)
            {
                File.Delete(_path);
            }
        }
        catch (IOException)
        {
            // Already gone.
        }

        return ValueTask.CompletedTask;
    }
}
