using System.Globalization;
using System.Text;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>FETCH and UID FETCH (RFC 3501 §6.4.5).</summary>
public sealed partial class ImapSession
{
    /// <summary>A long FETCH goes out in pieces of about this size rather than all at the end.</summary>
    private const int FlushThreshold = 64 * 1024;

    private (string Path, MessageContent Content)? _lastContent;

    private async Task<string> FetchAsync(SelectedFolder selected, ImapArguments args, bool byUid, CancellationToken cancellationToken)
    {
        var set = SequenceSet.Parse(args.Atom("sequence set"));
        var request = FetchRequest.Parse(args.Next("fetch items"), byUid);
        var (changedSince, reportVanished) = FetchModifiers(args, byUid);
        if (changedSince is not null)
        {
            request = request.WithModSeq();
        }

        if (!byUid && !selected.IsValidSequenceSet(set))
        {
            return selected.View.Count == 0 ? "OK Fetch completed (no messages)." : "BAD Invalid messageset.";
        }

        var folder = selected.Folder;
        var answer = request.HasModSeq ? EnableCondStoreFor("OK Fetch completed.") : "OK Fetch completed.";
        if (reportVanished)
        {
            // RFC 7162 §3.2.6: what of the UID set was expunged since, before the FETCH responses.
            WriteVanishedEarlier(folder, changedSince!.Value, set);
        }

        var vanished = false;
        foreach (var (sequence, known) in selected.Resolve(set, byUid).ToList())
        {
            if (changedSince is { } since && known.ModSeq <= since && (folder.FindByUid(known.Uid)?.ModSeq ?? 0) <= since)
            {
                continue;
            }

            // Expunged by another session but still in this one's view: served as it was, from the file the expunge
            // held aside (RFC 2180 §4.1.1), as Dovecot serves it from its index; NO [EXPUNGEISSUED] only once that is gone.
            var message = folder.FindByUid(known.Uid);
            var expunged = message is null;
            message ??= known;

            var flagsChanged = false;
            if (!expunged && request.SetsSeen && !selected.ReadOnly && !message.Flags.HasFlag(MessageFlags.Seen))
            {
                message = await folder.UpdateFlagsAsync(message.Uid, now => (now.Flags | MessageFlags.Seen, now.Keywords), cancellationToken) ?? message;
                if (request.HasModSeq || selected.ModSeqs)
                {
                    await folder.RecordChangesAsync(cancellationToken);
                    message = folder.FindByUid(message.Uid) ?? message;
                }

                selected.Replace(sequence, message);
                flagsChanged = true;
            }

            try
            {
                await WriteFetchAsync(selected, sequence, message, request, flagsChanged, cancellationToken);
            }
            catch (FileNotFoundException)
            {
                // Expunged by another session while we were answering.
                vanished = true;
            }
            catch (MessageFileChangedException e)
            {
                // A literal announced and cut short cannot be mended: the connection ends, as Dovecot ends it.
                LogStoreFailure(_mailbox?.Username ?? "-", "FETCH", e.Message);
                connection.Write("* BYE A message file changed while it was being sent.");
                _state = ImapState.Logout;
                throw new AnsweredException();
            }

            if (connection.UnflushedBytes > FlushThreshold)
            {
                await connection.FlushAsync(cancellationToken);
            }
        }

        // RFC 2180 §4.1.2: messages expunged elsewhere are left out and the FETCH ends in NO.
        return vanished ? "NO [EXPUNGEISSUED] Some messages were also expunged." : answer;
    }

    /// <summary>FETCH modifiers (RFC 4466 §2.4): CHANGEDSINCE (RFC 7162 §3.1.4.1), and VANISHED with it (§3.2.6).</summary>
    private (ulong? ChangedSince, bool Vanished) FetchModifiers(ImapArguments args, bool byUid)
    {
        if (!args.HasMore)
        {
            return (null, false);
        }

        var modifiers = args.List("fetch modifiers");
        args.End();
        ulong? changedSince = null;
        var vanished = false;
        for (var i = 0; i < modifiers.Count; i++)
        {
            var name = modifiers[i].Kind == ImapTokenKind.Atom ? modifiers[i].Text.ToUpperInvariant() : string.Empty;
            if (name == "CHANGEDSINCE" && i + 1 < modifiers.Count &&
                ulong.TryParse(modifiers[++i].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var since) && since <= long.MaxValue)
            {
                changedSince = since;
            }
            else if (name == "VANISHED")
            {
                vanished = true;
            }
            else
            {
                throw new ImapSyntaxException("Invalid FETCH modifier.");
            }
        }

        // RFC 7162 §3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE, once QRESYNC is enabled.
        if (vanished && (!byUid || changedSince is null || !_qresync))
        {
            throw new ImapSyntaxException(!_qresync ? "QRESYNC is not enabled." : "VANISHED needs UID FETCH and CHANGEDSINCE.");
        }

        return (changedSince, vanished);
    }

    private async Task WriteFetchAsync(
        SelectedFolder selected, uint sequence, MaildirMessage message, FetchRequest request, bool flagsChanged, CancellationToken cancellationToken)
    {
        var folder = selected.Folder;
        var content = request.NeedsContent ? LoadContent(folder, message, Parsing) : CachedContent(folder, message);
        // BODY[] (and RFC822) without a parse in memory is sent from the file as it is read.
        using var file = content is null && request.Items.Any(i => i.Kind == FetchItemKind.Section)
            ? CrlfMessageFile.Open(folder, message, Parsing)
            : null;
        var envelope = request.NeedsHeaders
            ? services.Envelopes.GetOrAdd(folder.Path, message.BaseName,
                () => Envelope.Format(content is not null ? content.Message.Headers : MessageFiles.ReadHeaders(folder, message, Parsing)))
            : null;
        // Everything that reads the file comes first: a file gone meanwhile fails before any output.
        var size = request.Items.Any(i => i.Kind == FetchItemKind.Rfc822Size) ? folder.GetVirtualSize(message) : 0;
        var internalDate = request.Items.Any(i => i.Kind == FetchItemKind.InternalDate) ? folder.GetInternalDate(message) : default;
        // Decoded before any output too: an encoding BINARY cannot undo ends the FETCH in NO [UNKNOWN-CTE].
        var binary = request.Items.Where(i => i.Kind is FetchItemKind.Binary or FetchItemKind.BinarySize)
            .ToDictionary(i => i, i => BinarySection.Extract(content!, i.Section!));
        var line = new StringBuilder();
        line.Append("* ").Append(Number(sequence)).Append(" FETCH (");
        var first = true;
        void Separate()
        {
            if (!first)
            {
                line.Append(' ');
            }

            first = false;
        }

        foreach (var item in request.Items)
        {
            Separate();
            switch (item.Kind)
            {
                case FetchItemKind.Uid:
                    line.Append("UID ").Append(Number(message.Uid));
                    break;
                case FetchItemKind.Flags:
                    line.Append("FLAGS ").Append(ImapFlags.Format(message, selected.IsRecent(message.Uid)));
                    break;
                case FetchItemKind.InternalDate:
                    line.Append("INTERNALDATE \"").Append(FormatInternalDate(internalDate)).Append('"');
                    break;
                case FetchItemKind.Rfc822Size:
                    line.Append("RFC822.SIZE ").Append(Number(size));
                    break;
                case FetchItemKind.Envelope:
                    line.Append("ENVELOPE ").Append(envelope);
                    break;
                case FetchItemKind.Body:
                    line.Append("BODY ").Append(BodyStructure.Format(content!, extensible: false));
                    break;
                case FetchItemKind.BodyStructure:
                    line.Append("BODYSTRUCTURE ").Append(BodyStructure.Format(content!, extensible: true));
                    break;
                case FetchItemKind.ModSeq:
                    line.Append("MODSEQ (").Append(message.ModSeq.ToString(CultureInfo.InvariantCulture)).Append(')');
                    break;
                case FetchItemKind.BinarySize:
                    line.Append(item.Name).Append(' ').Append(Number((uint)(binary[item]?.Length ?? 0)));
                    break;
                case FetchItemKind.Binary:
                    var decoded = binary[item] ?? [];
                    // literal8 (RFC 3516 §4.2) only where a NUL makes it necessary.
                    line.Append(item.Name).Append(' ').Append(decoded.Contains((byte)0) ? "~{" : "{").Append(Number((uint)decoded.Length)).Append("}\r\n");
                    connection.WriteText(line.ToString());
                    line.Clear();
                    connection.WriteBytes(decoded);
                    break;
                case FetchItemKind.Section when file is not null:
                    var (start, count) = item.Section!.PartialRange(file.Length);
                    line.Append(item.Name ?? item.Section.ResponseName).Append(" {").Append(Number(count)).Append("}\r\n");
                    connection.WriteText(line.ToString());
                    line.Clear();
                    await file.CopyToAsync(start, count, connection.WriteBytes, () => FlushLargeAsync(cancellationToken), cancellationToken);
                    break;
                case FetchItemKind.Section:
                    var bytes = item.Section!.Extract(content!);
                    line.Append(item.Name ?? item.Section.ResponseName).Append(' ');
                    if (bytes is null)
                    {
                        // A part that does not exist is empty, as Dovecot answers (RFC 3501 names no value for it).
                        line.Append("\"\"");
                        break;
                    }

                    line.Append('{').Append(Number(bytes.Length)).Append("}\r\n");
                    connection.WriteText(line.ToString());
                    line.Clear();
                    connection.WriteBytes(bytes);
                    break;
            }
        }

        // RFC 3501 §6.4.5: a FETCH that set \Seen reports the new flags.
        if (flagsChanged && !request.Items.Any(i => i.Kind == FetchItemKind.Flags))
        {
            Separate();
            line.Append("FLAGS ").Append(ImapFlags.Format(message, selected.IsRecent(message.Uid)));
        }

        if (flagsChanged && !request.HasModSeq && selected.ModSeqs)
        {
            line.Append(selected.ModSeqItem(message));
        }

        line.Append(')');
        connection.Write(line.ToString());
    }

    /// <summary>The content kept from the last FETCH when it is this message's, else null.</summary>
    private MessageContent? CachedContent(MaildirFolder folder, MaildirMessage message) =>
        _lastContent is { } last && last.Path == folder.FilePath(message) ? last.Content : null;

    private async ValueTask FlushLargeAsync(CancellationToken cancellationToken)
    {
        if (connection.UnflushedBytes > FlushThreshold)
        {
            await connection.FlushAsync(cancellationToken);
        }
    }

    /// <summary>The message's octets and parse; the last one is kept, as clients fetch a structure and then its parts.</summary>
    private MessageContent LoadContent(MaildirFolder folder, MaildirMessage message, CancellationToken cancellationToken)
    {
        var path = folder.FilePath(message);
        if (_lastContent is { } last && last.Path == path)
        {
            return last.Content;
        }

        var content = MessageFiles.ReadContent(folder, message, cancellationToken);
        // Only a small message is worth keeping between commands.
        _lastContent = content.Bytes.Length <= 1024 * 1024 ? (path, content) : null;
        return content;
    }

    /// <summary>RFC 3501 date-time: <c>17-Jul-1996 02:44:25 -0700</c>.</summary>
    private static string FormatInternalDate(DateTimeOffset date)
    {
        var offset = date.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return date.ToString("dd-MMM-yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + sign +
               abs.Hours.ToString("00", CultureInfo.InvariantCulture) + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }
}
