using System.Globalization;
using System.Text;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;
using MailServerless.EdgeServer.Imap.Search;

namespace MailServerless.EdgeServer.Imap;

/// <summary>STORE, COPY, MOVE (RFC 6851), EXPUNGE (and UID EXPUNGE, RFC 4315) and SEARCH on the selected folder.</summary>
public sealed partial class ImapSession
{
    private const string ReadOnlyRefusal = "NO [READ-ONLY] Mailbox is read-only.";

    private async Task<string> StoreAsync(SelectedFolder selected, ImapArguments args, bool byUid, CancellationToken cancellationToken)
    {
        var set = SequenceSet.Parse(args.Atom("sequence set"));
        var unchangedSince = StoreModifiers(args);
        var operation = args.Atom("store item").ToUpperInvariant();
        var silent = operation.EndsWith(".SILENT", StringComparison.Ordinal);
        var mode = silent ? operation[..^".SILENT".Length] : operation;
        if (mode is not ("FLAGS" or "+FLAGS" or "-FLAGS"))
        {
            throw new ImapSyntaxException("Invalid STORE item.");
        }

        var flagTokens = args.OptionalList() ?? args.Rest();
        args.End();
        var (flags, keywords) = ImapFlags.Parse(flagTokens);
        if (!byUid && !selected.IsValidSequenceSet(set))
        {
            return "BAD Invalid messageset.";
        }

        if (selected.ReadOnly)
        {
            return ReadOnlyRefusal;
        }

        (MessageFlags, IReadOnlyCollection<string>) Changed(MaildirMessage now) => mode switch
        {
            "FLAGS" => (flags, keywords),
            "+FLAGS" => (now.Flags | flags, now.Keywords.Union(keywords, StringComparer.OrdinalIgnoreCase).ToList()),
            _ => (now.Flags & ~flags, now.Keywords.Where(k => !keywords.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList()),
        };

        // With QRESYNC every FETCH response carries the UID (RFC 7162 §3.2.4), as Dovecot sends it.
        string UidItem(uint uid) => byUid || selected.Vanished ? $"UID {Number(uid)} " : string.Empty;

        // Expunged by another session, still in this one's view: nothing can be stored, and the client is told the
        // flags it asked for, with OK, as Dovecot answers (RFC 2180 §4.2.1 allows it), not a NO it takes for a failure.
        void Unstorable(uint sequence, MaildirMessage known)
        {
            var (newFlags, newKeywords) = Changed(known);
            var shown = known with { Flags = newFlags, Keywords = newKeywords.ToList() };
            selected.Replace(sequence, shown);
            if (!silent)
            {
                connection.Write($"* {Number(sequence)} FETCH ({UidItem(shown.Uid)}FLAGS {ImapFlags.Format(shown, selected.IsRecent(shown.Uid))})");
            }
        }

        var folder = selected.Folder;
        var answer = unchangedSince is null ? "OK Store completed." : EnableCondStoreFor("OK Store completed.");
        var modified = new List<uint>();
        var stored = new List<(uint Sequence, uint Uid)>();
        foreach (var (sequence, known) in selected.Resolve(set, byUid).ToList())
        {
            if (folder.FindByUid(known.Uid) is not { } current)
            {
                Unstorable(sequence, known);
                continue;
            }

            // RFC 7162 §3.1.3: changed since the client's mod-sequence: left alone and named in MODIFIED.
            if (unchangedSince is { } limit && current.ModSeq > limit)
            {
                modified.Add(byUid ? current.Uid : sequence);
                continue;
            }

            // Worked out from the message as it is at the rename, so a concurrent change by another session is kept;
            // a conditional STORE finding the message renamed since its check leaves it, as modified (RFC 7162 §3.1.3).
            var changedMeanwhile = false;
            var updated = await folder.UpdateFlagsAsync(current.Uid, now =>
            {
                if (unchangedSince is not null && now.FileName != current.FileName)
                {
                    changedMeanwhile = true;
                    return (now.Flags, now.Keywords);
                }

                return Changed(now);
            }, cancellationToken);
            if (changedMeanwhile)
            {
                modified.Add(byUid ? current.Uid : sequence);
                continue;
            }

            if (updated is null)
            {
                Unstorable(sequence, known);
                continue;
            }

            selected.Replace(sequence, updated);
            selected.AnnounceKeywords(updated.Keywords, connection.Write);
            // A conditional STORE that changed nothing reports nothing for that message, as Dovecot answers.
            if (unchangedSince is null || !ReferenceEquals(updated, current))
            {
                stored.Add((sequence, updated.Uid));
            }
        }

        if (selected.ModSeqs)
        {
            // The mod-sequences of this command's changes, recorded once for all of them.
            await folder.RecordChangesAsync(cancellationToken);
        }

        foreach (var (sequence, uid) in stored)
        {
            var message = folder.FindByUid(uid) ?? selected.View[(int)sequence - 1];
            selected.Replace(sequence, message);
            var uidItem = UidItem(uid);
            if (!silent)
            {
                connection.Write($"* {Number(sequence)} FETCH ({uidItem}FLAGS {ImapFlags.Format(message, selected.IsRecent(uid))}{selected.ModSeqItem(message)})");
            }
            else if (selected.ModSeqs)
            {
                // RFC 7162 §3.1.3: even .SILENT tells the new mod-sequence.
                connection.Write($"* {Number(sequence)} FETCH ({uidItem}MODSEQ ({message.ModSeq.ToString(CultureInfo.InvariantCulture)}))");
            }
        }

        if (modified.Count > 0)
        {
            modified.Sort();
            return $"OK [MODIFIED {UidSet(modified)}] Conditional STORE failed.";
        }

        return answer;
    }

    /// <summary>STORE modifiers (RFC 4466 §2.5): UNCHANGEDSINCE (RFC 7162 §3.1.3).</summary>
    private static ulong? StoreModifiers(ImapArguments args)
    {
        if (args.Peek is not { Kind: ImapTokenKind.List })
        {
            return null;
        }

        var modifiers = args.List("store modifiers");
        return modifiers is [{ Kind: ImapTokenKind.Atom } name, { Kind: ImapTokenKind.Atom } value] &&
            name.Text.Equals("UNCHANGEDSINCE", StringComparison.OrdinalIgnoreCase) &&
            ulong.TryParse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var since) && since <= long.MaxValue
            ? since
            : throw new ImapSyntaxException("Invalid STORE modifier.");
    }

    private async Task<string> CopyAsync(SelectedFolder selected, ImapArguments args, bool byUid, bool move, CancellationToken cancellationToken)
    {
        var set = SequenceSet.Parse(args.Atom("sequence set"));
        var targetName = FolderArgument(args, out var refusal);
        args.End();
        if (refusal is not null)
        {
            return refusal;
        }

        if (!byUid && !selected.IsValidSequenceSet(set))
        {
            return "BAD Invalid messageset.";
        }

        if (move && selected.ReadOnly)
        {
            return ReadOnlyRefusal;
        }

        if (!Store.FolderExists(targetName))
        {
            return "NO [TRYCREATE] Mailbox doesn't exist: " + MailboxNames.InText(targetName);
        }

        var source = selected.Folder;
        var target = targetName == source.Name ? source : await Store.OpenFolderAsync(targetName, cancellationToken);
        var sourceUids = new List<uint>();
        var targetUids = new List<uint>();
        foreach (var (_, known) in selected.Resolve(set, byUid).ToList())
        {
            if (source.FindByUid(known.Uid) is null)
            {
                continue;
            }

            var copied = move
                ? await source.MoveToAsync(known.Uid, target, cancellationToken)
                : await source.CopyToAsync(known.Uid, target, cancellationToken);
            if (copied is { } uid)
            {
                // 0: the copy was made, then expunged by another session before its UID was read.
                if (uid != 0)
                {
                    sourceUids.Add(known.Uid);
                    targetUids.Add(uid);
                }
            }
            else if (!move && source.FindByUid(known.Uid) is not null)
            {
                // Over quota: RFC 3501 §6.4.7 wants all or nothing, so the copies made are taken back.
                await target.ExpungeAsync(targetUids, cancellationToken);
                return "NO [OVERQUOTA] Quota exceeded (mailbox for user is full).";
            }
        }

        if (sourceUids.Count == 0)
        {
            return move ? "OK No messages moved." : "OK No messages copied.";
        }

        var copyUid = $"[COPYUID {Number(target.UidValidity)} {UidSet(sourceUids)} {UidSet(targetUids)}]";
        if (move)
        {
            // RFC 6851 §4.3: COPYUID in an untagged OK before the EXPUNGEs, which the update after this sends.
            connection.Write($"* OK {copyUid} Moved UIDs.");
            return "OK Move completed.";
        }

        return $"OK {copyUid} Copy completed.";
    }

    private static async Task<string> ExpungeAsync(SelectedFolder selected, ImapArguments args, bool byUid, CancellationToken cancellationToken)
    {
        SequenceSet? uids = byUid ? SequenceSet.Parse(args.Atom("UID set")) : null;
        args.End();
        if (selected.ReadOnly)
        {
            return ReadOnlyRefusal;
        }

        var folder = selected.Folder;
        await folder.SyncAsync(cancellationToken);
        var doomed = folder.Messages
            .Where(m => m.Flags.HasFlag(MessageFlags.Deleted) && (uids is null || uids.Includes(m.Uid, selected.HighestUid, m.Uid, selected.SavedUids)))
            .Select(m => m.Uid).ToList();
        await folder.ExpungeAsync(doomed, cancellationToken);
        // RFC 7162 §3.2.10 (and §3.1.11 for CONDSTORE): the folder's HIGHESTMODSEQ after the expunge.
        return selected.ModSeqs ? $"OK [HIGHESTMODSEQ {folder.HighestModSeq.ToString(CultureInfo.InvariantCulture)}] Expunge completed." : "OK Expunge completed.";
    }

    private Task<string> SearchAsync(ImapCommand command, SelectedFolder selected, ImapArguments args, CancellationToken cancellationToken)
    {
        var tokens = args.Rest();
        // RFC 9051 §6.4.4: an IMAP4rev2 SEARCH answers in ESEARCH, as if with RETURN (ALL).
        var returns = SearchReturn.Parse(tokens, out var criteria) ?? (_rev2 ? SearchReturn.All : null);
        List<SearchCandidate> found;
        SearchQuery query;
        try
        {
            query = SearchQuery.Parse(criteria, charsetAllowed: !_utf8Accept);
            found = Matching(selected, query, cancellationToken);
        }
        catch (Exception) when (returns?.Saves == true)
        {
            selected.SavedUids.Clear(); // RFC 5182 §2.1: a failed SEARCH with SAVE leaves "$" empty
            throw;
        }

        if (returns?.Saves == true)
        {
            // RFC 5182 §2.1: saved after the search ran, so "$" in its own criteria named the previous result.
            selected.SavedUids.Clear();
            selected.SavedUids.UnionWith(returns.Saved(found.Select(c => c.Uid).ToList()));
        }

        var ids = found.Select(c => command.IsUid ? c.Uid : c.Sequence).ToList();
        ulong? modSeq = null;
        if (query.UsesModSeq && found.Count > 0)
        {
            var named = (returns?.Saved(found.Select(c => c.Uid).ToList()) ?? found.Select(c => c.Uid)).ToHashSet();
            modSeq = found.Where(c => named.Contains(c.Uid)).Max(c => c.ModSeq);
        }

        if (returns is null)
        {
            connection.Write(SearchReturn.Plain(ids, modSeq));
        }
        else if (returns.Answers)
        {
            connection.Write(returns.Extended(command.Tag, command.IsUid, ids, modSeq));
        }

        return Task.FromResult(query.UsesModSeq ? EnableCondStoreFor("OK Search completed.") : "OK Search completed.");
    }

    /// <summary>The messages of the view that match, in sequence order, each read at most once.</summary>
    private List<SearchCandidate> Matching(SelectedFolder selected, SearchQuery query, CancellationToken cancellationToken)
    {
        var folder = selected.Folder;
        var bounds = new SearchQuery.Bounds((uint)selected.View.Count, selected.HighestUid, selected.SavedUids);
        var found = new List<SearchCandidate>();
        var view = selected.View;
        for (var i = 0; i < view.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var message = folder.FindByUid(view[i].Uid) ?? view[i];
            var candidate = new SearchCandidate(
                (uint)i + 1, message, selected.IsRecent(message.Uid),
                () => folder.GetVirtualSize(message),
                () => folder.GetInternalDate(message),
                () => MessageFiles.ReadHeaders(folder, message, Parsing),
                () => MessageFiles.ReadContent(folder, message, Parsing).Message);
            try
            {
                if (query.Matches(candidate, bounds))
                {
                    found.Add(candidate);
                }
            }
            catch (Exception e) when (e is FileNotFoundException or FormatException)
            {
                // Expunged meanwhile, or not a message MimeKit can read: it does not match.
            }
        }

        return found;
    }

    /// <summary>A UID list in the compact form UIDPLUS uses: <c>1:3,7</c>, in the order given.</summary>
    private static string UidSet(IReadOnlyList<uint> uids)
    {
        var parts = new List<string>();
        for (var i = 0; i < uids.Count;)
        {
            var j = i;
            while (j + 1 < uids.Count && uids[j + 1] == uids[j] + 1)
            {
                j++;
            }

            parts.Add(i == j ? Number(uids[i]) : Number(uids[i]) + ":" + Number(uids[j]));
            i = j + 1;
        }

        return string.Join(',', parts);
    }

    private static string Number(uint value) => value.ToString(CultureInfo.InvariantCulture);
}
