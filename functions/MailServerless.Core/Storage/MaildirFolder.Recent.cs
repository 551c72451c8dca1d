using System.Globalization;

namespace MailServerless.Core.Storage;

/// <summary>
/// \Recent (RFC 3501 §2.3.2): a message is recent in the one session that first notices it with the folder selected,
/// however it arrived (delivery, APPEND, COPY, MOVE). The folder keeps the highest UID a session has claimed in
/// <c>msl-recent</c> (with the UIDVALIDITY it belongs to), beside the UID list, which Dovecot ignores.
/// </summary>
public sealed partial class MaildirFolder
{
    public const string RecentFileName = "msl-recent";

    /// <summary>
    /// Claims the messages no session has seen as recent, for the caller alone: under the folder's lock, every UID
    /// above the mark, which moves to the highest UID. Returns the claimed UIDs, in order.
    /// </summary>
    public async Task<IReadOnlyList<uint>> ClaimRecentAsync(CancellationToken cancellationToken = default)
    {
        await using (await DotLock.AcquireAsync(System.IO.Path.Combine(Path, UidList.FileName), LockTimeout, cancellationToken))
        {
            var boundary = RecentBoundary();
            var claimed = _messages.Where(m => m.Uid > boundary).Select(m => m.Uid).ToList();
            if (claimed.Count > 0)
            {
                AtomicFile.Replace(System.IO.Path.Combine(Path, RecentFileName), System.IO.Path.Combine(Path, "tmp"),
                    string.Create(CultureInfo.InvariantCulture, $"{UidValidity} {claimed[^1]}\n"));
            }

            return claimed;
        }
    }

    /// <summary>
    /// The highest UID no longer recent to anyone. Without a mark (a folder Dovecot or an older version kept, or a new
    /// UIDVALIDITY), what is still in <c>new/</c> is recent, as it would have been, and nothing else.
    /// </summary>
    private uint RecentBoundary()
    {
        try
        {
            var parts = File.ReadAllText(System.IO.Path.Combine(Path, RecentFileName)).Split(' ', StringSplitOptions.TrimEntries);
            if (parts.Length == 2 &&
                uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var validity) && validity == UidValidity &&
                uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var mark))
            {
                return mark;
            }
        }
        catch (FileNotFoundException)
        {
        }
        catch (DirectoryNotFoundException)
        {
        }

        var firstNew = _messages.FirstOrDefault(m => m.InNew);
        return firstNew is null ? (_messages.Count == 0 ? 0 : _messages[^1].Uid) : firstNew.Uid - 1;
    }

    /// <summary>
    /// Before APPEND, COPY or MOVE writes into the folder (straight into <c>cur/</c>): a folder without a mark gets one
    /// for what it holds now, so the new message counts as recent (the fallback only sees <c>new/</c>).
    /// </summary>
    internal void EnsureRecentMark()
    {
        var path = System.IO.Path.Combine(Path, RecentFileName);
        if (UidValidity == 0 || File.Exists(path))
        {
            return;
        }

        AtomicFile.Replace(path, System.IO.Path.Combine(Path, "tmp"), string.Create(CultureInfo.InvariantCulture, $"{UidValidity} {RecentBoundary()}\n"));
    }

    /// <summary>The messages recent to nobody yet, above <paramref name="after"/> (EXAMINE shows them; STATUS RECENT counts them).</summary>
    public IReadOnlyList<uint> UnclaimedRecent(uint after = 0)
    {
        var boundary = Math.Max(RecentBoundary(), after);
        return _messages.Where(m => m.Uid > boundary).Select(m => m.Uid).ToList();
    }
}
