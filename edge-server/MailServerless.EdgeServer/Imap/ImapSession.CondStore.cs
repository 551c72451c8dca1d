using System.Globalization;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// CONDSTORE and QRESYNC (RFC 7162): the session's switches, SELECT's parameters and the resync
/// a QRESYNC SELECT answers with, and the VANISHED (EARLIER) reports FETCH's modifier asks for. Mod-sequences come
/// from the folder's index (<see cref="MaildirFolder.HighestModSeq"/>).
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>CONDSTORE is on: by ENABLE, or by the first command that uses it (RFC 7162 §3.1).</summary>
    private bool _condStore;

    /// <summary>QRESYNC is on (only by ENABLE, RFC 7162 §3.2.3): expunges are reported as VANISHED.</summary>
    private bool _qresync;

    private sealed record QResyncParameters(uint UidValidity, ulong ModSeq, SequenceSet? KnownUids);

    private void EnableCondStore()
    {
        _condStore = true;
        _selected?.ReportModSeqs(vanished: _qresync);
    }

    /// <summary>
    /// The first CONDSTORE-enabling command on a selected folder tells the client the folder's HIGHESTMODSEQ
    /// (RFC 7162 §3.1), which it did not get at SELECT; returns the tagged answer unchanged.
    /// </summary>
    private string EnableCondStoreFor(string answer)
    {
        if (!_condStore)
        {
            EnableCondStore();
            if (_selected is { } selected)
            {
                connection.Write($"* OK [HIGHESTMODSEQ {Number(selected.Folder.HighestModSeq)}] Highest");
            }
        }

        return answer;
    }

    /// <summary>SELECT and EXAMINE parameters (RFC 4466 §2.1): CONDSTORE, or QRESYNC with what the client knows.</summary>
    private (bool CondStore, QResyncParameters? QResync) SelectParameters(ImapArguments args)
    {
        if (!args.HasMore)
        {
            return (false, null);
        }

        var list = args.List("select parameters");
        args.End();
        var condStore = false;
        QResyncParameters? qresync = null;
        for (var i = 0; i < list.Count; i++)
        {
            var name = list[i].Kind == ImapTokenKind.Atom ? list[i].Text.ToUpperInvariant() : string.Empty;
            if (name == "CONDSTORE")
            {
                condStore = true;
            }
            else if (name == "QRESYNC" && i + 1 < list.Count && list[i + 1].Kind == ImapTokenKind.List)
            {
                if (!_qresync)
                {
                    // RFC 7162 §3.2.5: a client must ENABLE QRESYNC before using it.
                    throw new ImapSyntaxException("QRESYNC is not enabled.");
                }

                qresync = ParseQResync(list[++i].Items);
                condStore = true;
            }
            else
            {
                throw new ImapSyntaxException("Unknown select parameter.");
            }
        }

        return (condStore, qresync);
    }

    /// <summary><c>(uidvalidity mod-sequence [known-uids [(known-sequence-set known-uid-set)]])</c> of RFC 7162 §3.2.5.</summary>
    private static QResyncParameters ParseQResync(IReadOnlyList<ImapToken> items)
    {
        if (items.Count is < 2 or > 4 || items[0].Kind != ImapTokenKind.Atom || items[1].Kind != ImapTokenKind.Atom ||
            !uint.TryParse(items[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var uidValidity) || uidValidity == 0 ||
            !ulong.TryParse(items[1].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var modSeq) || modSeq == 0)
        {
            throw new ImapSyntaxException("Invalid QRESYNC parameters.");
        }

        var known = items.Count >= 3 && items[2].Kind == ImapTokenKind.Atom ? SequenceSet.Parse(items[2].Text) : null;
        var pairs = items.Count == 4 ? items[3] : items.Count == 3 && items[2].Kind == ImapTokenKind.List ? items[2] : null;
        // The sequence-match data only helps a server that forgot its expunges; it is checked, and the index answers.
        if (pairs is not null && (pairs.Kind != ImapTokenKind.List || pairs.Items.Count != 2 ||
            !SequenceSet.TryParse(pairs.Items[0].Text, out _) || !SequenceSet.TryParse(pairs.Items[1].Text, out _)))
        {
            throw new ImapSyntaxException("Invalid QRESYNC sequence match data.");
        }

        return new QResyncParameters(uidValidity, modSeq, known);
    }

    /// <summary>
    /// After a QRESYNC SELECT (RFC 7162 §3.2.5.1): what was expunged since the client's mod-sequence, as VANISHED
    /// (EARLIER), then the flags of every message changed since, so the client is in step without fetching anything.
    /// </summary>
    private void Resync(SelectedFolder selected, QResyncParameters qresync)
    {
        var folder = selected.Folder;
        if (qresync.UidValidity != folder.UidValidity)
        {
            return; // a new UIDVALIDITY: the client starts over, and nothing it knew applies
        }

        var known = qresync.KnownUids;
        WriteVanishedEarlier(folder, qresync.ModSeq, known);
        var view = selected.View;
        for (var i = 0; i < view.Count; i++)
        {
            var message = view[i];
            if (message.ModSeq > qresync.ModSeq && (known is null || known.Contains(message.Uid, selected.HighestUid)))
            {
                connection.Write($"* {Number(i + 1)} FETCH (UID {Number(message.Uid)} FLAGS {ImapFlags.Format(message, selected.IsRecent(message.Uid))} MODSEQ ({Number(message.ModSeq)}))");
            }
        }
    }

    /// <summary>
    /// <c>* VANISHED (EARLIER)</c> with the UIDs (of <paramref name="within"/>, else all) expunged after
    /// <paramref name="modSeq"/>. Where the index no longer remembers that far back, every UID of the range that
    /// is not in the folder is named, as RFC 7162 §3.2.5.1 allows.
    /// </summary>
    private void WriteVanishedEarlier(MaildirFolder folder, ulong modSeq, SequenceSet? within)
    {
        var top = folder.NextUid - 1;
        var ranges = Merge(within?.Ranges(top) ?? [(1u, top)]);
        var vanished = new List<(uint Low, uint High)>();
        if (folder.ExpungedSince(modSeq) is { } expunged)
        {
            vanished = Runs(expunged.Where(uid => InRanges(ranges, uid)));
        }
        else
        {
            var present = folder.Messages;
            var p = 0;
            foreach (var (low, high) in ranges)
            {
                var next = low;
                while (p < present.Count && present[p].Uid < low)
                {
                    p++;
                }

                for (; p < present.Count && present[p].Uid <= high; p++)
                {
                    if (present[p].Uid > next)
                    {
                        vanished.Add((next, present[p].Uid - 1));
                    }

                    next = present[p].Uid + 1;
                }

                if (next <= high && next != 0)
                {
                    vanished.Add((next, high));
                }
            }
        }

        if (vanished.Count > 0)
        {
            connection.Write("* VANISHED (EARLIER) " + FormatRanges(vanished));
        }
    }

    /// <summary>Ranges sorted and joined where they touch or overlap, empty ones dropped.</summary>
    private static List<(uint Low, uint High)> Merge(IEnumerable<(uint Low, uint High)> ranges)
    {
        var merged = new List<(uint Low, uint High)>();
        foreach (var (low, high) in ranges.Where(r => r.Low <= r.High && r.High > 0).Select(r => (Math.Max(r.Low, 1u), r.High)).OrderBy(r => r.Item1))
        {
            if (merged.Count > 0 && (ulong)merged[^1].High + 1 >= low)
            {
                merged[^1] = (merged[^1].Low, Math.Max(merged[^1].High, high));
            }
            else
            {
                merged.Add((low, high));
            }
        }

        return merged;
    }

    private static bool InRanges(List<(uint Low, uint High)> ranges, uint uid)
    {
        int low = 0, high = ranges.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            if (uid < ranges[mid].Low)
            {
                high = mid - 1;
            }
            else if (uid > ranges[mid].High)
            {
                low = mid + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Ascending UIDs as runs of consecutive ones.</summary>
    internal static List<(uint Low, uint High)> Runs(IEnumerable<uint> ascending)
    {
        var runs = new List<(uint Low, uint High)>();
        foreach (var uid in ascending)
        {
            if (runs.Count > 0 && runs[^1].High + 1 == uid)
            {
                runs[^1] = (runs[^1].Low, uid);
            }
            else
            {
                runs.Add((uid, uid));
            }
        }

        return runs;
    }

    internal static string FormatRanges(IEnumerable<(uint Low, uint High)> ranges) =>
        string.Join(',', ranges.Select(r => r.Low == r.High ? Number(r.Low) : Number(r.Low) + ":" + Number(r.High)));

    private static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
