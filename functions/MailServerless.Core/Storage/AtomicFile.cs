using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// Replaces a small control file (<c>dovecot-uidlist</c>, <c>maildirsize</c>, <c>subscriptions</c>, …)
/// all at once: the new content goes to a unique file in the folder's <c>tmp/</c>, then is renamed
/// over the old one, so a reader sees either the old or the new file, never half of one.
/// </summary>
internal static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static void Replace(string target, string tmpDirectory, string content, bool durable = false) =>
        Replace(target, tmpDirectory, Utf8.GetBytes(content), durable);

    /// <param name="durable">fsync the new content before the rename (for files whose loss costs clients).</param>
    public static void Replace(string target, string tmpDirectory, byte[] content, bool durable = false)
    {
        Directory.CreateDirectory(tmpDirectory);
        var temp = Path.Combine(tmpDirectory, Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N"));
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(content);
                if (durable)
                {
                    file.Flush(flushToDisk: true);
                }
            }

            File.Move(temp, target, overwrite: true);
            if (durable)
            {
                PosixFileSystem.FsyncDirectory(Path.GetDirectoryName(target)!);
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
