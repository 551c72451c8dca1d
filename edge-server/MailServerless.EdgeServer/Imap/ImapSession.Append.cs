using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502: several messages, all stored or none) and CATENATE
/// (RFC 4469: a message made of literal text and parts of stored messages named by IMAP URLs, RFC 5092), and the
/// UTF8 data item of UTF8=ACCEPT (RFC 6855 §4) for a message whose header fields are UTF-8.
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>One message of an APPEND: its flags, date and content (a literal, or the parts of a CATENATE).</summary>
    private sealed record AppendItem(MessageFlags Flags, IReadOnlyList<string> Keywords, DateTimeOffset? Date, ImapLiteral? Literal, IReadOnlyList<ImapToken>? Parts);

    private async Task<string> AppendAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        var folder = FolderArgument(args, out var refusal);
        var items = new List<AppendItem>();
        do
        {
            items.Add(ReadAppendItem(args, _utf8Accept));
        }
        while (args.HasMore);

        if (refusal is not null)
        {
            return refusal;
        }

        if (!Store.FolderExists(folder))
        {
            return "NO [TRYCREATE] Mailbox doesn't exist: " + MailboxNames.InText(folder);
        }

        // Every message is made and checked before the first is stored: a refusal stores nothing (RFC 3502 §6.3.11).
        var contents = new List<Stream>();
        try
        {
            foreach (var item in items)
            {
                var (content, problem) = item.Literal is { } literal ? (literal.OpenRead(), null) : await CatenateAsync(item.Parts!, cancellationToken);
                if (problem is not null)
                {
                    return problem;
                }

                contents.Add(content!);
                if (content!.Length == 0)
                {
                    return "NO Can't save a zero byte message.";
                }

                if (!await services.HeaderLimits.AllowAsync(content, cancellationToken))
                {
                    return "NO [LIMIT] Message header size exceeds limit (Mail:Smtp:HeaderSizeLimit, LineLengthLimit).";
                }

                content.Position = 0;
            }

            var target = _selected?.Folder.Name == folder ? _selected.Folder : await Store.OpenFolderAsync(folder, cancellationToken);
            var uids = new List<uint>();
            for (var i = 0; i < items.Count; i++)
            {
                var uid = await target.AppendAsync(contents[i], items[i].Flags, items[i].Keywords, items[i].Date, cancellationToken);
                if (uid is not { } appended)
                {
                    // Over quota midway: what this command stored goes again, so none of it stays (RFC 3502).
                    await target.ExpungeAsync(uids.Where(u => u != 0), cancellationToken);
                    return "NO [OVERQUOTA] Quota exceeded (mailbox for user is full).";
                }

                uids.Add(appended);
            }

            // 0: stored, then expunged by another session before its UID was read; no APPENDUID then (RFC 4315 §3).
            return uids.Contains(0u) ? "OK Append completed." : $"OK [APPENDUID {Number(target.UidValidity)} {UidSet(uids)}] Append completed.";
        }
        finally
        {
            foreach (var content in contents)
            {
                await content.DisposeAsync();
            }
        }
    }

    /// <summary>[flag-list] [date-time] (literal / utf8-literal / "CATENATE" "(" cat-part *(SP cat-part) ")").</summary>
    private static AppendItem ReadAppendItem(ImapArguments args, bool utf8Accept)
    {
        var flagList = args.OptionalList();
        DateTimeOffset? date = null;
        if (args.Peek is { Kind: ImapTokenKind.Quoted } dateToken)
        {
            args.Next("date");
            date = ParseDateTime(dateToken.Text);
            if (date < DateTimeOffset.UnixEpoch || date.Value.Year > 2105)
            {
                throw new ImapSyntaxException("Internal date out of range.");
            }
        }

        var (flags, keywords) = ImapFlags.Parse(flagList ?? []);
        var message = args.Next("message literal");
        if (message.Literal is { } literal)
        {
            return new AppendItem(flags, [.. keywords], date, literal, null);
        }

        if (IsUtf8Item(message))
        {
            return new AppendItem(flags, [.. keywords], date, Utf8Literal(args.Next("UTF8 message"), utf8Accept), null);
        }

        if (message.Kind == ImapTokenKind.Atom && message.Text.Equals("CATENATE", StringComparison.OrdinalIgnoreCase))
        {
            var given = args.List("CATENATE parts");
            if (given.Count == 0 || given.Count % 2 != 0)
            {
                throw new ImapSyntaxException("CATENATE needs TEXT and URL parts.");
            }

            var parts = new List<ImapToken>(given.Count);
            for (var i = 0; i < given.Count; i += 2)
            {
                var kind = given[i].Text.ToUpperInvariant();
                if (IsUtf8Item(given[i]))
                {
                    // RFC 6855 §4: cat-part =/ utf8-literal, which is TEXT to the message it makes.
                    parts.Add(ImapToken.Atom("TEXT"));
                    parts.Add(ImapToken.FromLiteral(Utf8Literal(given[i + 1], utf8Accept)));
                    continue;
                }

                if (!(kind == "TEXT" && given[i + 1].Literal is not null) && !(kind == "URL" && given[i + 1].IsString))
                {
                    throw new ImapSyntaxException("A CATENATE part is TEXT literal or URL \"url\".");
                }

                parts.Add(given[i]);
                parts.Add(given[i + 1]);
            }

            return new AppendItem(flags, [.. keywords], date, null, parts);
        }

        throw new ImapSyntaxException("The message must be a literal.");
    }

    private static bool IsUtf8Item(ImapToken token) =>
        token.Kind == ImapTokenKind.Atom && token.Text.Equals("UTF8", StringComparison.OrdinalIgnoreCase);

    /// <summary>utf8-literal's <c>"(" literal8 ")"</c>: only once the session enabled UTF8=ACCEPT (RFC 6855 §4).</summary>
    private static ImapLiteral Utf8Literal(ImapToken list, bool utf8Accept)
    {
        if (!utf8Accept)
        {
            throw new ImapSyntaxException("UTF8 data needs ENABLE UTF8=ACCEPT first.");
        }

        return list is { Kind: ImapTokenKind.List, Items: [{ Literal: { } literal }] }
            ? literal
            : throw new ImapSyntaxException("UTF8 needs one literal in parentheses.");
    }

    /// <summary>The message a CATENATE makes, or the NO that refuses it (<c>BADURL</c>, <c>TOOBIG</c>).</summary>
    private async Task<(Stream? Content, string? Problem)> CatenateAsync(IReadOnlyList<ImapToken> parts, CancellationToken cancellationToken)
    {
        var content = new MemoryStream();
        for (var i = 0; i < parts.Count; i += 2)
        {
            if (parts[i + 1].Literal is { } text)
            {
                await using var stream = text.OpenRead();
                await stream.CopyToAsync(content, cancellationToken);
            }
            else if (await ResolveUrlAsync(parts[i + 1].Text, cancellationToken) is { } octets)
            {
                content.Write(octets);
            }
            else
            {
                await content.DisposeAsync();
                // url-resp-text (RFC 4469 §6) is the URL as sent, without a ']' that would end the code early.
                return (null, $"NO [BADURL {parts[i + 1].Text.Replace("]", "%5D", StringComparison.Ordinal)}] The URL names no message or part here.");
            }

            if (content.Length > _options.MaxAppendSize)
            {
                await content.DisposeAsync();
                return (null, "NO [TOOBIG] The message would be larger than the APPENDLIMIT.");
            }
        }

        content.Position = 0;
        return (content, null);
    }

    /// <summary>
    /// The octets an IMAP URL names (RFC 5092 §6, as RFC 4469 §5 takes it: <c>/mailbox;UIDVALIDITY=n/;UID=n[/;SECTION=s][/;PARTIAL=o.l]</c>,
    /// or <c>;UID=n…</c> in the selected mailbox), in this user's own mailboxes only; null when it names nothing.
    /// </summary>
    private async Task<byte[]?> ResolveUrlAsync(string url, CancellationToken cancellationToken)
    {
        if (ImapUrl.Parse(url) is not { } parsed)
        {
            return null;
        }

        MaildirFolder folder;
        if (parsed.Mailbox is null)
        {
            if (_selected is null)
            {
                return null;
            }

            folder = _selected.Folder;
        }
        else
        {
            if (!MailboxNames.TryFromWire(parsed.Mailbox, Utf8Names, out var name, out _) || !Store.FolderExists(name))
            {
                return null;
            }

            folder = _selected?.Folder.Name == name ? _selected.Folder : await Store.OpenFolderAsync(name, cancellationToken);
        }

        await folder.SyncAsync(cancellationToken);
        if ((parsed.UidValidity is { } validity && validity != folder.UidValidity) || folder.FindByUid(parsed.Uid) is not { } message)
        {
            return null;
        }

        try
        {
            var section = BodySection.Parse(parsed.Section ?? string.Empty, parsed.Partial is { } partial ? $"<{partial}>" : string.Empty);
            return section.Extract(MessageFiles.ReadContent(folder, message, cancellationToken)) is { Length: > 0 } octets ? octets : null;
        }
        catch (Exception e) when (e is ImapSyntaxException or FileNotFoundException)
        {
            return null;
        }
    }
}
