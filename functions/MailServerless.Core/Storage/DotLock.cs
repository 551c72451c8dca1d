using System.Globalization;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// A lock file beside the file it guards (<c>dovecot-uidlist.lock</c>), as Dovecot takes it, so
/// our processes and Dovecot exclude each other, on one host or several sharing NFS/EFS.
/// Created with O_EXCL (atomic on NFSv3+ and EFS); a lock whose file has not changed for
/// <see cref="StaleAfter"/> is taken to be a crashed holder's and removed.
/// </summary>
public sealed class DotLock : IAsyncDisposable
{
    private readonly string _path;
    private readonly string _token;

    private DotLock(string path, string token)
    {
        _path = path;
        _token = token;
    }

    /// <summary>Dovecot's dotlock for dovecot-uidlist goes stale after 2 minutes without change.</summary>
    public static TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Takes the lock on <paramref name="guardedFile"/>, waiting up to <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">The lock was held by a live holder for the whole wait.</exception>
    public static async Task<DotLock> AcquireAsync(string guardedFile, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var path = guardedFile + ".lock";
        var token = string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessId}:{Environment.MachineName}:{Guid.NewGuid():N}");
        var deadline = DateTime.UtcNow + timeout;
        var delay = 5;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                {
                    await file.WriteAsync(Encoding.ASCII.GetBytes(token), cancellationToken);
                }

                return new DotLock(path, token);
            }
            catch (IOException e) when (IsAlreadyExists(e))
            {
                // Held (or released between our attempt and now): check for staleness, then try again.
                RemoveIfStale(path);
            }

            if (DateTime.UtcNow > deadline)
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

    private static void RemoveIfStale(string path)
    {
        try
        {
            var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(path);
            if (File.Exists(path) && age > StaleAfter)
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // Someone else removed or replaced it first.
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            // Only remove our own lock: after a stale-lock takeover the file may be someone else's.
            if (File.Exists(_path) && File.ReadAllText(_path) == _token)
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
