namespace MailServerless.Core.Backup;

/// <summary>
/// Whether a server runs on a data directory: the server holds a shared lock on <c>&lt;DataDirectory&gt;/server.lock</c>
/// for as long as it runs, and a restore takes it exclusively, so neither starts while the other works. The lock is
/// <c>flock(2)</c>, which .NET takes for <see cref="FileShare"/> (None: LOCK_EX, anything else: LOCK_SH, never waiting):
/// the kernel drops it when the process ends however it ends, so a crash leaves nothing stale behind. Several servers
/// on one data directory all hold it shared. (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> turns .NET's locks off, and
/// with them this check: "stop the server first" stays the documented rule.)
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = "server.lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>Held by the server from start to exit (dispose at exit).</summary>
    /// <exception cref="Accounts.DirectoryConfigurationException">A restore is writing into the data directory.</exception>
    public static DataDirectoryLock HoldWhileServing(string dataDirectory)
    {
        var path = EnsureFile(dataDirectory);
        try
        {
            return new DataDirectoryLock(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
        {
            throw new Accounts.DirectoryConfigurationException(
                $"Mail:DataDirectory '{dataDirectory}' is being restored (admin restore holds {path}): start the server once it has finished", e);
        }
    }

    /// <summary>Taken by a restore for its whole run; null when a server holds it (it runs on this data directory).</summary>
    public static DataDirectoryLock? TryTakeExclusive(string dataDirectory)
    {
        var path = EnsureFile(dataDirectory);
        try
        {
            return new DataDirectoryLock(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
        {
            return null;
        }
    }

    /// <summary>The lock file, made empty and private (0600) in a private (0700) data directory when missing.</summary>
    private static string EnsureFile(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dataDirectory);
        }
        else
        {
            Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = Path.Combine(dataDirectory, FileName);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            // Made and closed at once: the lock itself is taken on a read-only handle, whose shared flock .NET takes on
            // every file system (it leaves it out for files opened for writing on NFS and CIFS).
            new FileStream(path, options).Dispose();
        }
        catch (IOException) when (File.Exists(path))
        {
            // There already, as it stays from one run to the next.
        }

        return path;
    }

    public void Dispose() => _file.Dispose();
}
