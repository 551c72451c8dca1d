using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// LIST and LSUB (RFC 3501 §6.3.8-9) with LIST-EXTENDED (RFC 5258): selection options SUBSCRIBED, REMOTE,
/// RECURSIVEMATCH and SPECIAL-USE (RFC 6154), several patterns, return options SUBSCRIBED, CHILDREN, SPECIAL-USE
/// and STATUS (LIST-STATUS, RFC 5819); CHILDREN and SPECIAL-USE attributes are always given.
/// </summary>
public sealed partial class ImapSession
{
    private static readonly HashSet<string> StatusItems = new(StringComparer.Ordinal) { "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE", "DELETED", "HIGHESTMODSEQ" };

    private async Task<string> ListAsync(ImapArguments args, bool lsub, CancellationToken cancellationToken)
    {
        var selection = new HashSet<string>(StringComparer.Ordinal);
        if (!lsub && args.OptionalList() is { } selectionOptions)
        {
            foreach (var option in selectionOptions)
            {
                var word = option.Kind == ImapTokenKind.Atom ? option.Text.ToUpperInvariant() : string.Empty;
                if (word is not ("SUBSCRIBED" or "REMOTE" or "RECURSIVEMATCH" or "SPECIAL-USE"))
                {
                    throw new ImapSyntaxException($"Unknown LIST selection option {option.Text}.");
                }

                selection.Add(word);
            }

            // RFC 5258 §3: RECURSIVEMATCH only qualifies another selection option.
            if (selection.Contains("RECURSIVEMATCH") && !selection.Contains("SUBSCRIBED") && !selection.Contains("SPECIAL-USE"))
            {
                throw new ImapSyntaxException("RECURSIVEMATCH needs another selection option.");
            }
        }

        var reference = args.AString("reference");
        var patternToken = args.Next("mailbox pattern");
        var patterns = patternToken.Kind == ImapTokenKind.List ? patternToken.Items.Select(t => t.Text).ToList() : [patternToken.Text];
        var returnSubscribed = false;
        var returnChildren = false;
        var returnOptions = false;
        IReadOnlyList<ImapToken>? statusItems = null;
        if (!lsub && args.HasMore)
        {
            if (!args.Atom("RETURN").Equals("RETURN", StringComparison.OrdinalIgnoreCase))
            {
                throw new ImapSyntaxException("Invalid LIST options.");
            }

            var options = args.List("return options");
            returnOptions = true;
            for (var i = 0; i < options.Count; i++)
            {
                switch (options[i].Kind == ImapTokenKind.Atom ? options[i].Text.ToUpperInvariant() : string.Empty)
                {
                    case "SUBSCRIBED":
                        returnSubscribed = true;
                        break;
                    case "CHILDREN":
                        returnChildren = true;
                        break;
                    case "SPECIAL-USE":
                        break;
                    case "STATUS" when i + 1 < options.Count && options[i + 1].Kind == ImapTokenKind.List:
                        statusItems = options[++i].Items;
                        if (statusItems.FirstOrDefault(t => !StatusItems.Contains(t.Text.ToUpperInvariant())) is { } unknown)
                        {
                            throw new ImapSyntaxException($"Unknown STATUS item {unknown.Text}.");
                        }

                        break;
                    default:
                        throw new ImapSyntaxException($"Unknown LIST return option {options[i].Text}.");
                }
            }
        }

        args.End();
        var verb = lsub ? "LSUB" : "LIST";
        if (patterns is [""] && selection.Count == 0)
        {
            // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root.
            connection.Write($"* {verb} (\\Noselect) \".\" \"\"");
            return $"OK {verb} completed.";
        }

        // The extended forms (RFC 5258 §3) answer as Dovecot does: \NonExistent for a name that is no mailbox,
        // child attributes only when RETURN (CHILDREN) asks for them.
        var extended = !lsub && (selection.Count > 0 || returnOptions || patternToken.Kind == ImapTokenKind.List);
        var bySubscription = lsub || selection.Contains("SUBSCRIBED");
        var recursive = selection.Contains("RECURSIVEMATCH");
        var existing = Store.ListFolders().ToHashSet(StringComparer.Ordinal);
        var subscribed = Store.GetSubscriptions().ToHashSet(StringComparer.Ordinal);
        var listed = bySubscription ? subscribed : existing;
        var names = new SortedSet<string>(listed, StringComparer.Ordinal);
        var everything = new SortedSet<string>(existing.Concat(subscribed), StringComparer.Ordinal);

        // Parents without a folder of their own still show, as \Noselect (Maildir++ does not need them);
        // for LSUB only where '%' stops at them, for LIST (SUBSCRIBED) only with RECURSIVEMATCH (RFC 5258 §3).
        var implied = new HashSet<string>(StringComparer.Ordinal);
        var addParents = lsub ? patterns.Any(p => p.Contains('%', StringComparison.Ordinal)) : !bySubscription || recursive;
        if (addParents)
        {
            foreach (var folder in listed)
            {
                for (var dot = folder.IndexOf('.', StringComparison.Ordinal); dot > 0; dot = folder.IndexOf('.', dot + 1))
                {
                    if (names.Add(folder[..dot]))
                    {
                        implied.Add(folder[..dot]);
                    }
                }
            }
        }

        var regexes = patterns.Select(p => MailboxNames.Pattern(reference, p, Utf8Names)).ToList();
        foreach (var name in names)
        {
            if (!regexes.Any(r => r.IsMatch(name)))
            {
                continue;
            }

            var special = existing.Contains(name) && SpecialUse.TryGetValue(name, out var use) ? use : null;
            var selected = listed.Contains(name) && (!selection.Contains("SPECIAL-USE") || special is not null);
            var childMatches = recursive && everything.Any(n => n.StartsWith(name + ".", StringComparison.Ordinal) &&
                (bySubscription ? subscribed.Contains(n) : existing.Contains(n) && SpecialUse.ContainsKey(n)));
            if (!selected && !childMatches && !(implied.Contains(name) && (lsub || selection.Count == 0)))
            {
                continue;
            }

            var attributes = new List<string>();
            var exists = existing.Contains(name);
            if (lsub ? implied.Contains(name) : !exists)
            {
                attributes.Add(extended ? @"\NonExistent" : @"\Noselect");
            }

            if (!lsub)
            {
                if (!extended || returnChildren)
                {
                    attributes.Add(everything.Any(n => n.StartsWith(name + ".", StringComparison.Ordinal)) ? @"\HasChildren" : @"\HasNoChildren");
                }

                if ((selection.Contains("SUBSCRIBED") || returnSubscribed) && subscribed.Contains(name))
                {
                    attributes.Add(@"\Subscribed");
                }

                if (special is not null)
                {
                    attributes.Add(special);
                }
            }

            var childInfo = childMatches && !selected ? $" (\"CHILDINFO\" (\"{(bySubscription ? "SUBSCRIBED" : "SPECIAL-USE")}\"))" : string.Empty;
            connection.Write($"* {verb} ({string.Join(' ', attributes)}) \".\" {MailboxNames.ToWire(name, Utf8Names)}{childInfo}");

            // RFC 5819: the status of each selectable mailbox listed, after its LIST line.
            if (statusItems is not null && exists)
            {
                connection.Write(await StatusLineAsync(name, statusItems, cancellationToken));
            }
        }

        return $"OK {verb} completed.";
    }
}
