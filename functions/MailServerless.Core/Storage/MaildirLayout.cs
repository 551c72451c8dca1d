using MailServerless.Core.Accounts;

namespace MailServerless.Core.Storage;

/// <summary>
/// Where things are under the store base, as the classic stack lays them out:
/// <c>&lt;base&gt;/&lt;maildir&gt;/</c> is INBOX with <c>tmp/ new/ cur/</c>; a folder <c>Foo.Bar</c> is the
/// Maildir++ directory <c>.Foo.Bar</c> beside them (hierarchy delimiter '.', names in modified
/// UTF-7 on disk as Dovecot keeps them) with a <c>maildirfolder</c> marker.
/// </summary>
public static class MaildirLayout
{
    public const string Inbox = "INBOX";
    public const char Delimiter = '.';
    public const string FolderMarker = "maildirfolder";

    /// <summary>The special-use folders created for every mailbox (RFC 6154 names Dovecot's default config uses).</summary>
    public static IReadOnlyList<string> DefaultFolders { get; } = ["Sent", "Drafts", "Trash", "Junk"];

    /// <summary>
    /// The mailbox root for a directory <c>maildir</c> value, checked to stay under <paramref name="basePath"/>.
    /// </summary>
    public static string MailboxRoot(string basePath, string maildir)
    {
        if (!MaildirPath.IsValid(maildir, out var reason))
        {
            throw new ArgumentException(reason, nameof(maildir));
        }

        var baseFull = Path.GetFullPath(basePath);
        var root = Path.GetFullPath(Path.Combine(baseFull, maildir));
        var prefix = baseFull.EndsWith(Path.DirectorySeparatorChar) ? baseFull : baseFull + Path.DirectorySeparatorChar;
        if (!root.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"maildir '{maildir}' leaves the store base", nameof(maildir));
        }

        return root.TrimEnd(Path.DirectorySeparatorChar);
    }

    /// <summary>True for INBOX in any case (RFC 3501 §5.1: INBOX is case-insensitive).</summary>
    public static bool IsInbox(string folder) => string.Equals(folder, Inbox, StringComparison.OrdinalIgnoreCase);

    /// <summary>Checks a folder name (Unicode, '.'-separated) before it becomes a directory name.</summary>
    public static bool IsValidFolderName(string? folder, out string reason)
    {
        reason = string.Empty;
        if (string.IsNullOrEmpty(folder))
        {
            reason = "empty folder name";
            return false;
        }

        if (IsInbox(folder))
        {
            return true;
        }

        if (folder.Length > 200 || folder.Any(c => char.IsControl(c) || c == '/' || c == '\\'))
        {
            reason = "folder name is too long or holds '/', '\\' or a control character";
            return false;
        }

        if (folder.Split(Delimiter).Any(part => part.Length == 0 || part is "." or ".."))
        {
            reason = "folder name has an empty level";
            return false;
        }

        return true;
    }

    /// <summary>
    /// True when the folder's directory name (<c>.</c> and the modified UTF-7 name, every level in one name as
    /// Maildir++ has it) fits the 255 octets file systems allow; a 200-character CJK name does not.
    /// </summary>
    public static bool FitsFileSystem(string folder) =>
        IsInbox(folder) || 1 + System.Text.Encoding.UTF8.GetByteCount(ModifiedUtf7.Encode(folder)) <= 255;

    /// <summary>The directory of a folder: the root for INBOX, else <c>root/.&lt;mUTF-7 name&gt;</c>.</summary>
    public static string FolderPath(string mailboxRoot, string folder)
    {
        if (!IsValidFolderName(folder, out var reason))
        {
            throw new ArgumentException(reason, nameof(folder));
        }

        return IsInbox(folder) ? mailboxRoot : Path.Combine(mailboxRoot, "." + ModifiedUtf7.Encode(folder));
    }

    /// <summary>The folder names present on disk (INBOX first), decoded from modified UTF-7.</summary>
    public static IReadOnlyList<string> ListFolders(string mailboxRoot)
    {
        var folders = new List<string> { Inbox };
        if (!Directory.Exists(mailboxRoot))
        {
            return folders;
        }

        foreach (var dir in Directory.EnumerateDirectories(mailboxRoot, ".*"))
        {
            var name = Path.GetFileName(dir)[1..];
            if (name.Length > 0 && name != "." && ModifiedUtf7.TryDecode(name, out var decoded) &&
                IsValidFolderName(decoded, out _) && !IsInbox(decoded))
            {
                folders.Add(decoded);
            }
        }

        folders.Sort(1, folders.Count - 1, StringComparer.Ordinal);
        return folders;
    }

    /// <summary>The root and every folder directory, for a whole-mailbox scan (quota).</summary>
    public static IEnumerable<string> FolderDirectories(string mailboxRoot) =>
        ListFolders(mailboxRoot).Select(f => FolderPath(mailboxRoot, f));

    /// <summary>Creates <c>tmp/ new/ cur/</c> (and the folder marker for a non-INBOX folder).</summary>
    public static void EnsureFolder(string mailboxRoot, string folder)
    {
        var path = FolderPath(mailboxRoot, folder);
        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            Directory.CreateDirectory(Path.Combine(path, sub));
        }

        if (!IsInbox(folder))
        {
            var marker = Path.Combine(path, FolderMarker);
            if (!File.Exists(marker))
            {
                File.WriteAllBytes(marker, []);
            }
        }
    }
}
