using System.Globalization;

namespace MailServerless.Core.Storage;

/// <summary>
/// One user's mailbox: the Maildir++ root with INBOX and its folders, subscriptions and quota.
/// Folder-level work (messages, UIDs, flags) is done by the <see cref="MaildirFolder"/> it opens.
/// </summary>
public sealed class MaildirMailbox
{
    private const string UidValidityFile = "dovecot-uidvalidity";
    private readonly TimeProvider _clock;
    private readonly string _hostName;

    private readonly FolderStateCache? _folders;

    internal MaildirMailbox(string root, QuotaLimit quota, TimeProvider clock, string hostName, FolderStateCache? folders = null)
    {
        _folders = folders;
        Root = root;
        Quota = quota;
        _clock = clock;
        _hostName = hostName;
    }

    public string Root { get; }

    public QuotaLimit Quota { get; }

    /// <summary>Creates INBOX, and the default folders (subscribed) the first time.</summary>
    public void EnsureCreated(bool withDefaultFolders = true)
    {
        var isNew = !Directory.Exists(Path.Combine(Root, "cur"));
        MaildirLayout.EnsureFolder(Root, MaildirLayout.Inbox);
        if (!withDefaultFolders)
        {
            return;
        }

        var subscribed = Subscriptions.Read(Root).ToList();
        var changed = false;
        foreach (var folder in MaildirLayout.DefaultFolders)
        {
            if (!FolderExists(folder))
            {
                MaildirLayout.EnsureFolder(Root, folder);
                if (!subscribed.Contains(folder, StringComparer.Ordinal))
                {
                    subscribed.Add(folder);
                    changed = true;
                }
            }
        }

        if (changed || (isNew && !File.Exists(Path.Combine(Root, Subscriptions.FileName))))
        {
            Subscriptions.Write(Root, subscribed);
        }
    }

    public IReadOnlyList<string> ListFolders() => MaildirLayout.ListFolders(Root);

    public bool FolderExists(string folder) =>
        MaildirLayout.IsInbox(folder) || Directory.Exists(MaildirLayout.FolderPath(Root, folder));

    /// <summary>Creates a folder; false when it exists already.</summary>
    public bool CreateFolder(string folder)
    {
        if (FolderExists(folder))
        {
            return false;
        }

        MaildirLayout.EnsureFolder(Root, folder);
        return true;
    }

    /// <summary>Deletes a folder and its messages (not its sub-folders); INBOX cannot be deleted.</summary>
    public bool DeleteFolder(string folder)
    {
        if (MaildirLayout.IsInbox(folder) || !FolderExists(folder))
        {
            return false;
        }

        var path = MaildirLayout.FolderPath(Root, folder);
        // Rename first so that a half-finished delete never shows as a damaged folder.
        var doomed = Path.Combine(Root, "tmp", "deleting-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "tmp"));
        Directory.Move(path, doomed);
        Directory.Delete(doomed, recursive: true);
        return true;
    }

    /// <summary>Renames a folder with its sub-folders (RFC 3501 §6.3.5); false when the source is missing or the target exists.</summary>
    public bool RenameFolder(string from, string to)
    {
        if (MaildirLayout.IsInbox(from) || MaildirLayout.IsInbox(to) || !FolderExists(from) || FolderExists(to))
        {
            return false;
        }

        var prefix = from + MaildirLayout.Delimiter;
        var children = ListFolders().Where(f => f.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        // All or nothing (RFC 3501 §6.3.5): no child may land on a folder that exists.
        if (children.Any(child => FolderExists(to + child[from.Length..])))
        {
            return false;
        }

        Directory.Move(MaildirLayout.FolderPath(Root, from), MaildirLayout.FolderPath(Root, to));
        foreach (var child in children)
        {
            var renamed = to + child[from.Length..];
            Directory.Move(MaildirLayout.FolderPath(Root, child), MaildirLayout.FolderPath(Root, renamed));
        }

        return true;
    }

    public IReadOnlyList<string> GetSubscriptions() => Subscriptions.Read(Root);

    public void Subscribe(string folder)
    {
        var subscribed = Subscriptions.Read(Root).ToList();
        if (!subscribed.Contains(folder, StringComparer.Ordinal))
        {
            subscribed.Add(folder);
            Subscriptions.Write(Root, subscribed);
        }
    }

    public void Unsubscribe(string folder)
    {
        var subscribed = Subscriptions.Read(Root).ToList();
        if (subscribed.Remove(folder))
        {
            Subscriptions.Write(Root, subscribed);
        }
    }

    public Task<QuotaUsage> GetQuotaUsageAsync(CancellationToken cancellationToken = default) =>
        new MaildirQuota(Root, _clock).GetUsageAsync(Quota, cancellationToken);

    public Task<MaildirFolder> OpenFolderAsync(string folder, CancellationToken cancellationToken = default) =>
        MaildirFolder.OpenAsync(Root, folder, _clock, _hostName, Quota, NextUidValidity, _folders, cancellationToken);

    /// <summary>
    /// A UIDVALIDITY for a new UID list, never the same twice in this mailbox even for a folder deleted and
    /// made again within a second (RFC 3501 §2.3.1.1), kept in Dovecot's <c>dovecot-uidvalidity</c> (hex).
    /// </summary>
    private uint NextUidValidity()
    {
        var path = Path.Combine(Root, UidValidityFile);
        var now = (uint)_clock.GetUtcNow().ToUnixTimeSeconds();
        uint last = 0;
        if (File.Exists(path))
        {
            _ = uint.TryParse(File.ReadAllText(path).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out last);
        }

        var next = Math.Max(now, last + 1);
        AtomicFile.Replace(path, Path.Combine(Root, "tmp"), next.ToString("x8", CultureInfo.InvariantCulture));
        return next;
    }
}
