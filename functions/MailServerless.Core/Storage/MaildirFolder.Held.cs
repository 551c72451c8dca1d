using System.Globalization;

namespace MailServerless.Core.Storage;

/// <summary>
/// An expunged message's file is moved aside, not unlinked, for <see cref="HoldFor"/>: a session that still shows
/// the message (it has not yet told its client of the EXPUNGE, RFC 3501 §7.4.1) can still FETCH it, as Dovecot serves
/// it from its index, instead of answering <c>NO [EXPUNGEISSUED]</c> (RFC 2180 §4.1). The files wait in
/// <c>msl-expunged/</c> of the folder, which neither Dovecot nor a quota recount reads (no leading dot, not new/
/// or cur/), named <c>&lt;unix seconds&gt;-&lt;file name&gt;</c>; each expunge and each opening of the folder prunes
/// the ones held longer.
/// </summary>
public sealed partial class MaildirFolder
{
    public const string HeldDirectory = "msl-expunged";

    public static readonly TimeSpan HoldFor = TimeSpan.FromMinutes(10);

    /// <summary>Moves the message's file aside into <paramref name="held"/>; true when this call moved it (another session may have, at the same time).</summary>
    private bool TryHold(MaildirMessage message, string held)
    {
        var seconds = _clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        try
        {
            File.Move(FilePath(message), System.IO.Path.Combine(held, seconds + "-" + message.FileName));
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the message's file through <paramref name="read"/>; when it is not under its name, the file an expunge held
    /// aside, or the file under the name another session renamed it to (a flag change since this view's last sync). The
    /// usual case costs nothing more than the read: the rest is looked at only after it failed.
    /// </summary>
    public T ReadFile<T>(MaildirMessage message, Func<string, T> read)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read(FilePath(message));
        }
        catch (FileNotFoundException) when (HeldPath(message) is { } held)
        {
            return read(held);
        }
        catch (FileNotFoundException) when (FindByUid(message.Uid) is not null)
        {
            // The folder still has the message (not an expunge it knows of): another session renamed it since the
            // last sync. One listing finds its name (once per such message; a message known gone fails at once).
            Relist();
            if (FindByUid(message.Uid) is { } current && current.FileName != message.FileName)
            {
                return read(FilePath(current));
            }

            return read(HeldPath(message) ?? FilePath(message));
        }
    }

    /// <summary>The message's file where it is, or where an expunge moved it while it is held; else where it was.</summary>
    public string ReadablePath(MaildirMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var path = FilePath(message);
        return File.Exists(path) ? path : HeldPath(message) ?? path;
    }

    /// <summary>Where an expunge holds the message's file, or null.</summary>
    private string? HeldPath(MaildirMessage message)
    {
        var held = System.IO.Path.Combine(Path, HeldDirectory);
        if (!Directory.Exists(held))
        {
            return null;
        }

        foreach (var file in Directory.EnumerateFiles(held))
        {
            var name = System.IO.Path.GetFileName(file);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            var original = dash < 0 ? string.Empty : name[(dash + 1)..];
            if (original == message.BaseName || original.StartsWith(message.BaseName + ":", StringComparison.Ordinal))
            {
                return file;
            }
        }

        return null;
    }

    /// <summary>Deletes what has been held longer than <see cref="HoldFor"/>.</summary>
    private void PruneHeld()
    {
        var held = System.IO.Path.Combine(Path, HeldDirectory);
        if (!Directory.Exists(held))
        {
            return;
        }

        var cutoff = _clock.GetUtcNow().Subtract(HoldFor).ToUnixTimeSeconds();
        try
        {
            foreach (var file in Directory.EnumerateFiles(held))
            {
                var name = System.IO.Path.GetFileName(file);
                var dash = name.IndexOf('-', StringComparison.Ordinal);
                if (dash <= 0 || !long.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var since) || since < cutoff)
                {
                    PosixFileSystem.TryUnlink(file);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Another session removed it meanwhile: nothing is held.
        }
    }
}
