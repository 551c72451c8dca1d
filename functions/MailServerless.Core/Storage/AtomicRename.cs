namespace MailServerless.Core.Storage;

/// <summary>
/// rename(2) for callers outside the store: replaces <c>to</c> in one step, whatever <c>from</c> is (a symbolic link
/// to a folder too, which .NET's File.Move refuses because it follows the link).
/// </summary>
public static class AtomicRename
{
    /// <exception cref="IOException">The rename failed, or <paramref name="from"/> is not there.</exception>
    public static void Replace(string from, string to)
    {
        if (!PosixFileSystem.TryRename(from, to))
        {
            throw new FileNotFoundException($"rename({from}, {to}): {from} is not there", from);
        }
    }
}
