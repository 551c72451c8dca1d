using System.Globalization;
using System.Text;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;
using MimeKit;
using MimeKit.Utils;

namespace MailServerless.EdgeServer.Imap.Search;

/// <summary>
/// SEARCH criteria (RFC 3501 §6.4.4), every key of the RFC: flags, keywords, dates, sizes, sequence and
/// UID sets, header and body text (MIME-decoded, case-insensitive), NOT, OR and parenthesised groups.
/// </summary>
public abstract class SearchQuery
{
    private const int MaxDepth = 100;

    /// <summary>Maximum <c>*</c>: the number of messages (sequence sets) and the highest UID; and the UIDs "$" names (RFC 5182).</summary>
    public readonly record struct Bounds(uint MessageCount, uint HighestUid, IReadOnlySet<uint>? Saved = null);

    public abstract bool Matches(SearchCandidate candidate, Bounds bounds);

    /// <summary>True when some key reads the message's headers or body (the others use the index alone).</summary>
    public virtual bool ReadsMessage => false;

    /// <summary>True when some key is MODSEQ (RFC 7162 §3.1.5): the answer then gives the highest mod-sequence found.</summary>
    public virtual bool UsesModSeq => false;

    /// <summary>
    /// Parses the criteria after an optional CHARSET; an unknown charset throws <see cref="BadCharsetException"/>.
    /// A session with UTF8=ACCEPT on names none (RFC 6855 §3: its strings are UTF-8, a CHARSET would contradict them).
    /// </summary>
    public static SearchQuery Parse(IReadOnlyList<ImapToken> tokens, bool charsetAllowed = true)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var position = 0;
        if (tokens.Count >= 2 && tokens[0].Kind == ImapTokenKind.Atom && tokens[0].Text.Equals("CHARSET", StringComparison.OrdinalIgnoreCase))
        {
            if (!charsetAllowed)
            {
                throw new ImapSyntaxException("No CHARSET once UTF8=ACCEPT is enabled.");
            }

            var charset = tokens[1].Text.ToUpperInvariant();
            if (charset is not ("UTF-8" or "US-ASCII" or "UTF8"))
            {
                throw new BadCharsetException();
            }

            position = 2;
        }

        var keys = new List<SearchQuery>();
        while (position < tokens.Count)
        {
            keys.Add(ParseKey(tokens, ref position, 0));
        }

        if (keys.Count == 0)
        {
            throw new ImapSyntaxException("Missing search criteria.");
        }

        return keys.Count == 1 ? keys[0] : new All(keys);
    }

    private static SearchQuery ParseKey(IReadOnlyList<ImapToken> tokens, ref int position, int depth)
    {
        // NOT, OR and groups nest; a bound keeps a hostile query from exhausting the stack.
        if (depth > MaxDepth)
        {
            throw new ImapSyntaxException("Search criteria nested too deeply.");
        }

        // OR's second key may be missing after a first one that took an argument ("OR BODY x").
        if (position >= tokens.Count)
        {
            throw new ImapSyntaxException("Missing search key.");
        }

        var token = tokens[position++];
        if (token.Kind == ImapTokenKind.List)
        {
            var inner = 0;
            var keys = new List<SearchQuery>();
            while (inner < token.Items.Count)
            {
                keys.Add(ParseKey(token.Items, ref inner, depth + 1));
            }

            return keys.Count == 0 ? throw new ImapSyntaxException("Empty search group.") : new All(keys);
        }

        if (token.Kind != ImapTokenKind.Atom)
        {
            throw new ImapSyntaxException("Invalid search key.");
        }

        string Argument(ref int p) => p < tokens.Count && tokens[p].Kind != ImapTokenKind.List
            ? tokens[p++].Text
            : throw new ImapSyntaxException($"Missing argument for {token.Text}.");

        switch (token.Text.ToUpperInvariant())
        {
            case "ALL": return new Predicate(_ => true);
            case "ANSWERED": return FlagSet(MessageFlags.Answered);
            case "UNANSWERED": return FlagClear(MessageFlags.Answered);
            case "DELETED": return FlagSet(MessageFlags.Deleted);
            case "UNDELETED": return FlagClear(MessageFlags.Deleted);
            case "DRAFT": return FlagSet(MessageFlags.Draft);
            case "UNDRAFT": return FlagClear(MessageFlags.Draft);
            case "FLAGGED": return FlagSet(MessageFlags.Flagged);
            case "UNFLAGGED": return FlagClear(MessageFlags.Flagged);
            case "SEEN": return FlagSet(MessageFlags.Seen);
            case "UNSEEN": return FlagClear(MessageFlags.Seen);
            case "RECENT": return new Predicate(c => c.Recent);
            case "OLD": return new Predicate(c => !c.Recent);
            case "NEW": return new Predicate(c => c.Recent && !c.Flags.HasFlag(MessageFlags.Seen));
            case "KEYWORD":
                var keyword = Argument(ref position);
                return new Predicate(c => HasKeyword(c, keyword));
            case "UNKEYWORD":
                var unkeyword = Argument(ref position);
                return new Predicate(c => !HasKeyword(c, unkeyword));
            case "BEFORE":
                var before = Date(Argument(ref position));
                return new Predicate(c => InternalDay(c) < before);
            case "ON":
                var on = Date(Argument(ref position));
                return new Predicate(c => InternalDay(c) == on);
            case "SINCE":
                var since = Date(Argument(ref position));
                return new Predicate(c => InternalDay(c) >= since);
            case "SENTBEFORE":
                var sentBefore = Date(Argument(ref position));
                return new HeaderPredicate(c => SentDay(c) is { } d && d < sentBefore);
            case "SENTON":
                var sentOn = Date(Argument(ref position));
                return new HeaderPredicate(c => SentDay(c) is { } d && d == sentOn);
            case "SENTSINCE":
                var sentSince = Date(Argument(ref position));
                return new HeaderPredicate(c => SentDay(c) is { } d && d >= sentSince);
            case "LARGER":
                var larger = Number(Argument(ref position));
                return new Predicate(c => c.Size > larger);
            case "SMALLER":
                var smaller = Number(Argument(ref position));
                return new Predicate(c => c.Size < smaller);
            case "FROM" or "TO" or "CC" or "BCC" or "SUBJECT":
                var field = token.Text.ToUpperInvariant() switch
                {
                    "FROM" => "From", "TO" => "To", "CC" => "Cc", "BCC" => "Bcc", _ => "Subject",
                };
                var value = Argument(ref position);
                return new HeaderPredicate(c => field == "Subject" ? HeaderContains(c.Headers, field, value) : AddressContains(c.Headers, field, value));
            case "HEADER":
                var name = Argument(ref position);
                var text = Argument(ref position);
                return new HeaderPredicate(c => HeaderContains(c.Headers, name, text));
            case "BODY":
                var body = Argument(ref position);
                return new ContentPredicate(c => BodyContains(c.Content, body));
            case "TEXT":
                var anywhere = Argument(ref position);
                return new ContentPredicate(c => TextContains(c.Content, anywhere));
            case "MODSEQ":
                // RFC 7162 §3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer; per-flag entries are not
                // kept apart, so the message's own mod-sequence answers for every entry (the RFC allows that).
                if (position < tokens.Count && tokens[position].Kind != ImapTokenKind.Atom)
                {
                    position++;
                    var entryType = Argument(ref position).ToUpperInvariant();
                    if (entryType is not ("PRIV" or "SHARED" or "ALL"))
                    {
                        throw new ImapSyntaxException("Invalid MODSEQ entry type.");
                    }
                }

                var modSeq = ulong.TryParse(Argument(ref position), NumberStyles.None, CultureInfo.InvariantCulture, out var sequenceValue) && sequenceValue <= long.MaxValue
                    ? sequenceValue
                    : throw new ImapSyntaxException("Invalid MODSEQ value.");
                return new ModSeqPredicate(c => c.ModSeq >= modSeq);
            case "UID":
                var uids = SequenceSet.Parse(Argument(ref position));
                return new SetPredicate((c, b) => uids.Includes(c.Uid, b.HighestUid, c.Uid, b.Saved));
            case "NOT":
                if (position >= tokens.Count)
                {
                    throw new ImapSyntaxException("Missing argument for NOT.");
                }

                return new Not(ParseKey(tokens, ref position, depth + 1));
            case "OR":
                if (position + 1 >= tokens.Count)
                {
                    throw new ImapSyntaxException("Missing arguments for OR.");
                }

                var left = ParseKey(tokens, ref position, depth + 1);
                var right = ParseKey(tokens, ref position, depth + 1);
                return new Or(left, right);
            default:
                if (SequenceSet.TryParse(token.Text, out var set))
                {
                    return new SetPredicate((c, b) => set!.Includes(c.Sequence, b.MessageCount, c.Uid, b.Saved));
                }

                throw new ImapSyntaxException($"Unknown search key {token.Text}.");
        }
    }

    private static SearchQuery FlagSet(MessageFlags flag) => new Predicate(c => c.Flags.HasFlag(flag));

    private static SearchQuery FlagClear(MessageFlags flag) => new Predicate(c => !c.Flags.HasFlag(flag));

    private static bool HasKeyword(SearchCandidate candidate, string keyword) =>
        keyword.Equals("$Forwarded", StringComparison.OrdinalIgnoreCase)
            ? candidate.Flags.HasFlag(MessageFlags.Passed)
            : candidate.Keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase);

    /// <summary>RFC 3501 date: <c>1-Feb-1994</c>, the time and zone ignored.</summary>
    private static DateOnly Date(string text)
    {
        if (DateOnly.TryParseExact(text, ["d-MMM-yyyy", "dd-MMM-yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        throw new ImapSyntaxException($"Invalid date {text}.");
    }

    private static long Number(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new ImapSyntaxException("Invalid number.");

    /// <summary>The internal date's day in the server's time zone (as Dovecot compares it).</summary>
    private static DateOnly InternalDay(SearchCandidate candidate) => DateOnly.FromDateTime(candidate.InternalDate.LocalDateTime);

    /// <summary>The Date: header's day in its own zone; without a Date: that parses, the internal date's (RFC 5256 §2.2, as Dovecot does).</summary>
    private static DateOnly? SentDay(SearchCandidate candidate)
    {
        var raw = candidate.Headers[HeaderId.Date];
        return raw is not null && DateUtils.TryParse(raw, out var date) ? DateOnly.FromDateTime(date.DateTime) : InternalDay(candidate);
    }

    private static bool HeaderContains(HeaderList headers, string field, string value) =>
        headers.Where(h => h.Field.Equals(field, StringComparison.OrdinalIgnoreCase))
            .Any(h => (h.Value ?? string.Empty).Contains(value, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// An address field holds the text as decoded, or in one of its addresses read as written (<c>mailbox@host</c>
    /// whatever comments and folding stood between), as Dovecot matches FROM, TO, CC and BCC.
    /// </summary>
    private static bool AddressContains(HeaderList headers, string field, string value) =>
        headers.Where(h => h.Field.Equals(field, StringComparison.OrdinalIgnoreCase)).Any(h =>
            (h.Value ?? string.Empty).Contains(value, StringComparison.OrdinalIgnoreCase) ||
            EnvelopeAddresses.Parse(Encoding.UTF8.GetString(h.RawValue)).Any(a =>
                $"{a.Mailbox}@{a.Host}".Contains(value, StringComparison.OrdinalIgnoreCase)));

    private static bool AnyHeaderContains(HeaderList headers, string value) =>
        headers.Any(h => h.Field.Contains(value, StringComparison.OrdinalIgnoreCase) ||
                         (h.Value ?? string.Empty).Contains(value, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// BODY: the text parts, decoded from their transfer encoding and charset, in attached messages too (their
    /// bodies are part of this one's body, RFC 3501 §6.4.4).
    /// </summary>
    private static bool BodyContains(MimeMessage message, string value) =>
        Entities(message).OfType<TextPart>().Any(part => SafeText(part).Contains(value, StringComparison.OrdinalIgnoreCase));

    /// <summary>TEXT: the headers of the message, of every part and of every attached message, and BODY.</summary>
    private static bool TextContains(MimeMessage message, string value) =>
        AnyHeaderContains(message.Headers, value) ||
        Entities(message).Any(e => AnyHeaderContains(e.Headers, value) || (e is MessagePart { Message: { } inner } && AnyHeaderContains(inner.Headers, value))) ||
        BodyContains(message, value);

    /// <summary>Every entity of the message and of the messages attached to it, depth first (bounded by the parse's own nesting limit).</summary>
    private static IEnumerable<MimeEntity> Entities(MimeMessage message)
    {
        foreach (var entity in message.BodyParts)
        {
            yield return entity;
            if (entity is MessagePart { Message: { } inner })
            {
                foreach (var nested in Entities(inner))
                {
                    yield return nested;
                }
            }
        }
    }

    private static string SafeText(TextPart part)
    {
        try
        {
            return part.Text ?? string.Empty;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or FormatException)
        {
            return string.Empty;
        }
    }

    private sealed class Predicate(Func<SearchCandidate, bool> test) : SearchQuery
    {
        public override bool Matches(SearchCandidate candidate, Bounds bounds) => test(candidate);
    }

    private sealed class SetPredicate(Func<SearchCandidate, Bounds, bool> test) : SearchQuery
    {
        public override bool Matches(SearchCandidate candidate, Bounds bounds) => test(candidate, bounds);
    }

    private sealed class HeaderPredicate(Func<SearchCandidate, bool> test) : SearchQuery
    {
        public override bool ReadsMessage => true;

        public override bool Matches(SearchCandidate candidate, Bounds bounds) => test(candidate);
    }

    private sealed class ContentPredicate(Func<SearchCandidate, bool> test) : SearchQuery
    {
        public override bool ReadsMessage => true;

        public override bool Matches(SearchCandidate candidate, Bounds bounds) => test(candidate);
    }

    private sealed class ModSeqPredicate(Func<SearchCandidate, bool> test) : SearchQuery
    {
        public override bool UsesModSeq => true;

        public override bool Matches(SearchCandidate candidate, Bounds bounds) => test(candidate);
    }

    private sealed class Not(SearchQuery inner) : SearchQuery
    {
        public override bool ReadsMessage => inner.ReadsMessage;

        public override bool UsesModSeq => inner.UsesModSeq;

        public override bool Matches(SearchCandidate candidate, Bounds bounds) => !inner.Matches(candidate, bounds);
    }

    private sealed class Or(SearchQuery left, SearchQuery right) : SearchQuery
    {
        public override bool ReadsMessage => left.ReadsMessage || right.ReadsMessage;

        public override bool UsesModSeq => left.UsesModSeq || right.UsesModSeq;

        public override bool Matches(SearchCandidate candidate, Bounds bounds) => left.Matches(candidate, bounds) || right.Matches(candidate, bounds);
    }

    private sealed class All(IReadOnlyList<SearchQuery> keys) : SearchQuery
    {
        public override bool ReadsMessage => keys.Any(k => k.ReadsMessage);

        public override bool UsesModSeq => keys.Any(k => k.UsesModSeq);

        // Cheap keys first: a flag test can spare reading the file.
        public override bool Matches(SearchCandidate candidate, Bounds bounds) =>
            keys.Where(k => !k.ReadsMessage).All(k => k.Matches(candidate, bounds)) &&
            keys.Where(k => k.ReadsMessage).All(k => k.Matches(candidate, bounds));
    }
}

/// <summary>A CHARSET other than UTF-8 or US-ASCII: <c>NO [BADCHARSET (UTF-8 US-ASCII)]</c>.</summary>
public sealed class BadCharsetException() : Exception("unsupported charset");
