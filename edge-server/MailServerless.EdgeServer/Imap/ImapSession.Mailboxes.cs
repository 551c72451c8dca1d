using System.Globalization;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>Mailbox commands: SELECT, EXAMINE, CREATE, DELETE, RENAME, (UN)SUBSCRIBE, LIST, LSUB, STATUS, APPEND, QUOTA.</summary>
public sealed partial class ImapSession
{
    private const string QuotaRoot = "User quota";

    private MaildirMailbox Store => _store ?? throw new InvalidOperationException("not logged in");

    private static readonly Dictionary<string, string> SpecialUse = new(StringComparer.Ordinal)
    {
        ["Sent"] = @"\Sent",
        ["Drafts"] = @"\Drafts",
        ["Trash"] = @"\Trash",
        ["Junk"] = @"\Junk",
        ["Archive"] = @"\Archive",
    };

    /// <summary>A mailbox argument as a folder name; a name the store cannot hold is a NO, not a BAD.</summary>
    private string FolderArgument(ImapArguments args, out string? refusal)
    {
        var wire = args.AString("mailbox name");
        refusal = MailboxNames.TryFromWire(wire, Utf8Names, out var folder, out var reason) ? null : "NO " + reason;
        return folder;
    }

    private async Task<string> SelectAsync(ImapArguments args, bool readOnly, CancellationToken cancellationToken)
    {
        var folder = FolderArgument(args, out var refusal);
        var (condStore, qresync) = SelectParameters(args);
        // A new SELECT leaves the previous folder even when it fails (RFC 3501 §6.3.1); QRESYNC and IMAP4rev2 say so
        // (RFC 7162 §3.2.11, RFC 9051 §6.3.2).
        if (_selected is { } previous)
        {
            previous.Folder.Remember();
            if (_qresync || _rev2)
            {
                connection.Write("* OK [CLOSED] Previous mailbox closed.");
            }
        }

        _selected = null;
        _state = ImapState.Authenticated;
        if (refusal is not null)
        {
            return refusal;
        }

        if (!Store.FolderExists(folder))
        {
            return "NO [NONEXISTENT] Mailbox doesn't exist: " + MailboxNames.InText(folder);
        }

        var opened = await Store.OpenFolderAsync(folder, cancellationToken);
        var selected = await SelectedFolder.OpenAsync(opened, readOnly, cancellationToken);
        selected.HidesRecent = _rev2;
        var view = selected.View;
        connection.Write(selected.FlagsLine);
        connection.Write(selected.PermanentFlagsLine);
        connection.Write($"* {Number(view.Count)} EXISTS");
        if (_rev2)
        {
            // RFC 9051 §6.3.2: a LIST response names the mailbox; RECENT and [UNSEEN] are gone from IMAP4rev2.
            connection.Write($"* LIST () \".\" {MailboxNames.ToWire(folder, Utf8Names)}");
        }
        else
        {
            connection.Write($"* {Number(selected.RecentCount)} RECENT");
            var firstUnseen = view.Select((m, i) => (m, i)).FirstOrDefault(p => !p.m.Flags.HasFlag(MessageFlags.Seen));
            if (firstUnseen.m is not null)
            {
                connection.Write($"* OK [UNSEEN {Number(firstUnseen.i + 1)}] First unseen.");
            }
        }

        connection.Write($"* OK [UIDVALIDITY {Number(opened.UidValidity)}] UIDs valid");
        connection.Write($"* OK [UIDNEXT {Number(opened.NextUid)}] Predicted next UID");
        // RFC 7162 §3.1.2.1: with persistent mod-sequences, every SELECT and EXAMINE tells HIGHESTMODSEQ.
        connection.Write($"* OK [HIGHESTMODSEQ {Number(opened.HighestModSeq)}] Highest");
        if (condStore)
        {
            EnableCondStore();
        }

        if (_condStore)
        {
            selected.ReportModSeqs(vanished: _qresync);
        }

        if (qresync is not null)
        {
            Resync(selected, qresync);
        }

        _selected = selected;
        _state = ImapState.Selected;
        return readOnly ? "OK [READ-ONLY] Examine completed." : "OK [READ-WRITE] Select completed.";
    }

    private string Create(ImapArguments args)
    {
        var folder = FolderArgument(args, out var refusal);
        args.Rest(); // CREATE parameters (RFC 4466) such as (USE (\Sent)) are ignored
        if (refusal is not null)
        {
            return refusal;
        }

        if (MaildirLayout.IsInbox(folder) || Store.FolderExists(folder))
        {
            return "NO [ALREADYEXISTS] Mailbox already exists.";
        }

        if (NewFolderRefusal([folder], added: 1) is { } refused)
        {
            return refused;
        }

        return Store.CreateFolder(folder) ? "OK Create completed." : "NO [ALREADYEXISTS] Mailbox already exists.";
    }

    /// <summary>Null when folders of these names may be made (<paramref name="added"/> of them new); else the refusal.</summary>
    private string? NewFolderRefusal(IEnumerable<string> names, int added)
    {
        if (!names.All(MaildirLayout.FitsFileSystem))
        {
            return "NO [CANNOT] Mailbox name is too long for the file system.";
        }

        return added > 0 && Store.ListFolders().Count + added > _options.MaxFolders
            ? $"NO [LIMIT] Too many mailboxes (at most {_options.MaxFolders})."
            : null;
    }

    private string Delete(ImapArguments args)
    {
        var folder = FolderArgument(args, out var refusal);
        args.End();
        if (refusal is not null)
        {
            return refusal;
        }

        if (MaildirLayout.IsInbox(folder))
        {
            return "NO INBOX can't be deleted.";
        }

        if (!Store.DeleteFolder(folder))
        {
            return "NO [NONEXISTENT] Mailbox doesn't exist: " + MailboxNames.InText(folder);
        }

        if (_selected is not null && _selected.Folder.Name == folder)
        {
            // The client is told that it has no mailbox selected any more (RFC 7162 §3.2.11's CLOSED).
            _selected = null;
            _state = ImapState.Authenticated;
            return "OK [CLOSED] Delete completed; the selected mailbox is closed.";
        }

        return "OK Delete completed.";
    }

    private async Task<string> RenameAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        var from = FolderArgument(args, out var refusal);
        var to = FolderArgument(args, out var toRefusal);
        args.End();
        if ((refusal ?? toRefusal) is { } invalid)
        {
            return invalid;
        }

        if (!Store.FolderExists(from))
        {
            return "NO [NONEXISTENT] Mailbox doesn't exist: " + from;
        }

        if (Store.FolderExists(to))
        {
            return "NO [ALREADYEXISTS] Target mailbox already exists.";
        }

        var renamed = Store.ListFolders().Where(f => f.StartsWith(from + MaildirLayout.Delimiter, StringComparison.Ordinal))
            .Select(child => to + child[from.Length..]).Prepend(to);
        if (NewFolderRefusal(renamed, added: MaildirLayout.IsInbox(from) ? 1 : 0) is { } refused)
        {
            return refused;
        }

        if (MaildirLayout.IsInbox(from))
        {
            // RFC 3501 §6.3.5: renaming INBOX moves its messages to the new name and leaves INBOX empty.
            Store.CreateFolder(to);
            var inbox = await Store.OpenFolderAsync(MaildirLayout.Inbox, cancellationToken);
            var target = await Store.OpenFolderAsync(to, cancellationToken);
            foreach (var message in inbox.Messages.ToList())
            {
                await inbox.MoveToAsync(message.Uid, target, cancellationToken);
            }

            return "OK Rename completed.";
        }

        var subscribed = Store.GetSubscriptions();
        if (!Store.RenameFolder(from, to))
        {
            return "NO [ALREADYEXISTS] A mailbox below the new name exists already.";
        }

        // A selected folder that was renamed (or sits below the renamed one) stays selected under its new name.
        if (_selected is not null && (_selected.Folder.Name == from || _selected.Folder.Name.StartsWith(from + ".", StringComparison.Ordinal)))
        {
            _selected.Retarget(await Store.OpenFolderAsync(to + _selected.Folder.Name[from.Length..], cancellationToken));
        }

        // Subscriptions follow the folders (as Dovecot does).
        foreach (var name in subscribed.Where(s => s == from || s.StartsWith(from + ".", StringComparison.Ordinal)))
        {
            Store.Unsubscribe(name);
            Store.Subscribe(to + name[from.Length..]);
        }

        return "OK Rename completed.";
    }

    private string Subscribe(ImapArguments args, bool subscribe)
    {
        var folder = FolderArgument(args, out var refusal);
        args.End();
        if (refusal is not null)
        {
            return refusal;
        }

        if (subscribe)
        {
            if (!Store.FolderExists(folder))
            {
                return "NO [NONEXISTENT] Mailbox doesn't exist: " + MailboxNames.InText(folder);
            }

            Store.Subscribe(folder);
            return "OK Subscribe completed.";
        }

        Store.Unsubscribe(folder);
        return "OK Unsubscribe completed.";
    }

    private async Task<string> StatusAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        var folder = FolderArgument(args, out var refusal);
        var items = args.List("status items");
        args.End();
        if (refusal is not null)
        {
            return refusal;
        }

        if (!Store.FolderExists(folder))
        {
            return "NO [NONEXISTENT] Mailbox doesn't exist: " + MailboxNames.InText(folder);
        }

        connection.Write(await StatusLineAsync(folder, items, cancellationToken));
        return items.Any(i => i.Text.Equals("HIGHESTMODSEQ", StringComparison.OrdinalIgnoreCase))
            ? EnableCondStoreFor("OK Status completed.")
            : "OK Status completed.";
    }

    /// <summary>The <c>* STATUS</c> response for a folder that exists (STATUS, and LIST's RETURN (STATUS …)).</summary>
    private async Task<string> StatusLineAsync(string folder, IReadOnlyList<ImapToken> items, CancellationToken cancellationToken)
    {
        var opened = _selected?.Folder.Name == folder ? _selected.Folder : await Store.OpenFolderAsync(folder, cancellationToken);
        await opened.SyncAsync(cancellationToken);
        var values = new List<string>();
        foreach (var item in items)
        {
            var name = item.Text.ToUpperInvariant();
            var value = name switch
            {
                "MESSAGES" => opened.Messages.Count,
                "RECENT" => _selected?.Folder == opened ? _selected.RecentCount : opened.UnclaimedRecent().Count,
                "UIDNEXT" => opened.NextUid,
                "UIDVALIDITY" => opened.UidValidity,
                "UNSEEN" => opened.Messages.Count(m => !m.Flags.HasFlag(MessageFlags.Seen)),
                "SIZE" => opened.Messages.Sum(opened.GetVirtualSize),
                "DELETED" => opened.Messages.Count(m => m.Flags.HasFlag(MessageFlags.Deleted)), // RFC 9051 §6.3.11
                "HIGHESTMODSEQ" => (object)opened.HighestModSeq,
                _ => throw new ImapSyntaxException($"Unknown STATUS item {item.Text}."),
            };
            values.Add(name + " " + Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        return $"* STATUS {MailboxNames.ToWire(folder, Utf8Names)} ({string.Join(' ', values)})";
    }

    /// <summary>RFC 3501 date-time: <c>"17-Jul-1996 02:44:25 -0700"</c> (day may be space-padded).</summary>
    private static DateTimeOffset ParseDateTime(string text)
    {
        if (DateTimeOffset.TryParseExact(text.Trim(), ["d-MMM-yyyy HH:mm:ss zzz", "dd-MMM-yyyy HH:mm:ss zzz"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        // .NET's zzz wants a colon in the offset: "+0200" → "+02:00".
        var trimmed = text.Trim();
        if (trimmed.Length > 5 && trimmed[^5] is '+' or '-' &&
            DateTimeOffset.TryParseExact(trimmed[..^2] + ":" + trimmed[^2..], ["d-MMM-yyyy HH:mm:ss zzz", "dd-MMM-yyyy HH:mm:ss zzz"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return date;
        }

        throw new ImapSyntaxException("Invalid date-time.");
    }

    private async Task<string> GetQuotaRootAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        var folder = FolderArgument(args, out var refusal);
        args.End();
        if (refusal is not null)
        {
            return refusal;
        }

        if (!Store.FolderExists(folder))
        {
            return "NO [NONEXISTENT] Mailbox doesn't exist: " + MailboxNames.InText(folder);
        }

        // One quota for the whole mailbox (RFC 9208 §3.1: every folder has the same root).
        if (Store.Quota.Bytes <= 0)
        {
            connection.Write($"* QUOTAROOT {MailboxNames.ToWire(folder, Utf8Names)}");
            return "OK Getquotaroot completed.";
        }

        connection.Write($"* QUOTAROOT {MailboxNames.ToWire(folder, Utf8Names)} \"{QuotaRoot}\"");
        await WriteQuotaAsync(cancellationToken);
        return "OK Getquotaroot completed.";
    }

    private async Task<string> GetQuotaAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        var root = args.AString("quota root");
        args.End();
        if (root != QuotaRoot || Store.Quota.Bytes <= 0)
        {
            return "NO [NONEXISTENT] No such quota root.";
        }

        await WriteQuotaAsync(cancellationToken);
        return "OK Getquota completed.";
    }

    /// <summary>STORAGE in units of 1024 octets (RFC 9208 §5.1), usage from <c>maildirsize</c>.</summary>
    private async Task WriteQuotaAsync(CancellationToken cancellationToken)
    {
        var usage = await Store.GetQuotaUsageAsync(cancellationToken);
        connection.Write($"* QUOTA \"{QuotaRoot}\" (STORAGE {Number(Math.Max(0, usage.Bytes) / 1024)} {Number(Store.Quota.Bytes / 1024)})");
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
