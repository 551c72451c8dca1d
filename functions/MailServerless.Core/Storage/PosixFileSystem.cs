using System.Runtime.InteropServices;

namespace MailServerless.Core.Storage;

/// <summary>
/// The few POSIX calls .NET does not expose: fsync of a directory, so that a rename into
/// <c>new/</c> survives a crash (the Maildir delivery rule), and the link count.
/// </summary>
internal static partial class PosixFileSystem
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux

    /// <summary>Makes the entries of <paramref name="path"/> durable. A no-op off Unix.</summary>
    public static void FsyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(path, ReadOnly | Directory);
        if (fd < 0)
        {
            throw new IOException($"open({path}) for fsync failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync({path}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>link(2): a second name for a file (Maildir COPY); IOException when it cannot be made.</summary>
    public static void Link(string existing, string newName)
    {
        if (OperatingSystem.IsWindows() || LinkNative(existing, newName) != 0)
        {
            throw new IOException($"link({existing}, {newName}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>unlink(2) that says whether this call removed the file (false: it was already gone).</summary>
    public static bool TryUnlink(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }

        if (UnlinkNative(path) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == 2 ? false : throw new IOException($"unlink({path}) failed: errno {errno}");
    }

    /// <summary>
    /// rename(2), the one call Dovecot uses to move a message between <c>new/</c> and <c>cur/</c> or change its
    /// flags (.NET's File.Move without overwrite costs a link and an unlink); false when the source is gone.
    /// </summary>
    public static bool TryRename(string from, string to)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(from, to, overwrite: false);
                return true;
            }
            catch (FileNotFoundException)
            {
                return false;
            }
        }

        if (RenameNative(from, to) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == 2 ? false : throw new IOException($"rename({from}, {to}) failed: errno {errno}");
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameNative(string from, string to);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkNative(string path);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string existing, string newName);

    /// <summary>open(2) of a directory, read-only; a negative result and errno on failure.</summary>
    public static int OpenDirectory(string path) => Open(path, ReadOnly | Directory);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
