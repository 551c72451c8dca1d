using System.Runtime.InteropServices;

namespace MailServerless.Core.Storage;

/// <summary>
/// Mail, the spool, the directory database and keys are the server's alone, as Dovecot and Postfix keep
/// them: folders 0700 and files 0600, by a umask of 077 set once for the whole process (so every file
/// anything creates, SQLite's included, gets it), and a report of what an older install left readable.
/// </summary>
public static partial class PrivateFiles
{
    private const uint Umask = 0x3F; // 077

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Sets the process's umask to 077. Call first thing, before any file is made. A no-op off Unix.</summary>
    public static void RestrictProcessUmask()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = SetUmask(Umask);
        }
    }

    /// <summary>
    /// The paths under <paramref name="roots"/> (each root, and entries down to <paramref name="depth"/> levels
    /// below it) that a group or other users may use, with their modes; for a warning at start-up.
    /// </summary>
    public static IEnumerable<(string Path, UnixFileMode Mode)> Exposed(IEnumerable<string> roots, int depth)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (OperatingSystem.IsWindows())
        {
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Path, int Depth)>(roots.Where(r => r.Length > 0).Select(r => (Path.GetFullPath(r), 0)));
        while (pending.TryPop(out var entry))
        {
            if (!seen.Add(entry.Path))
            {
                continue;
            }

            FileSystemInfo info = Directory.Exists(entry.Path) ? new DirectoryInfo(entry.Path) : new FileInfo(entry.Path);
            if (!info.Exists || info.LinkTarget is not null)
            {
                continue;
            }

            if ((info.UnixFileMode & GroupOrOther) != 0)
            {
                yield return (entry.Path, info.UnixFileMode);
            }

            if (info is DirectoryInfo directory && entry.Depth < depth)
            {
                IEnumerable<FileSystemInfo> children;
                try
                {
                    children = directory.EnumerateFileSystemInfos().ToList();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                foreach (var child in children)
                {
                    pending.Push((child.FullName, entry.Depth + 1));
                }
            }
        }
    }

    /// <summary>The mode as <c>ls</c> and <c>chmod</c> write it: four octal digits.</summary>
    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint SetUmask(uint mask);
}
