using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap.Fetch;

public enum FetchItemKind
{
    Uid,
    Flags,
    InternalDate,
    Rfc822Size,
    Envelope,

    /// <summary>BODY without a section: the non-extensible structure.</summary>
    Body,
    BodyStructure,

    /// <summary>BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER, RFC822.TEXT.</summary>
    Section,

    /// <summary>BINARY[...] and BINARY.PEEK[...] (RFC 3516): the part decoded.</summary>
    Binary,

    /// <summary>BINARY.SIZE[...]: the decoded part's size.</summary>
    BinarySize,

    /// <summary>MODSEQ (RFC 7162 §3.1.4): the message's mod-sequence.</summary>
    ModSeq,
}

/// <summary>One item of a FETCH: what to send and under which name.</summary>
public sealed record FetchItem(FetchItemKind Kind, BodySection? Section = null, string? Name = null, bool SetsSeen = false);

/// <summary>The parsed items of a FETCH command (RFC 3501 §6.4.5), with the macros ALL, FAST and FULL expanded.</summary>
public sealed class FetchRequest
{
    private FetchRequest(List<FetchItem> items) => Items = items;

    public IReadOnlyList<FetchItem> Items { get; }

    /// <summary>Some item needs the message's headers (ENVELOPE).</summary>
    public bool NeedsHeaders => Items.Any(i => i.Kind == FetchItemKind.Envelope);

    /// <summary>Some item needs the message's octets in memory with their parse; BODY[] alone is sent from the file.</summary>
    public bool NeedsContent => Items.Any(i =>
        i.Kind is FetchItemKind.Body or FetchItemKind.BodyStructure or FetchItemKind.Binary or FetchItemKind.BinarySize ||
        (i.Kind == FetchItemKind.Section && !i.Section!.IsWholeMessage));

    public bool SetsSeen => Items.Any(i => i.SetsSeen);

    public bool HasModSeq => Items.Any(i => i.Kind == FetchItemKind.ModSeq);

    /// <summary>The same items and MODSEQ, which CHANGEDSINCE implies (RFC 7162 §3.1.4.1).</summary>
    public FetchRequest WithModSeq() => HasModSeq ? this : new FetchRequest([.. Items, new FetchItem(FetchItemKind.ModSeq)]);

    public static FetchRequest Parse(ImapToken token, bool byUid)
    {
        ArgumentNullException.ThrowIfNull(token);
        var items = new List<FetchItem>();
        if (byUid)
        {
            // RFC 3501 §6.4.8: UID FETCH always answers with the UID.
            items.Add(new FetchItem(FetchItemKind.Uid));
        }

        if (token.Kind == ImapTokenKind.Atom)
        {
            switch (token.Text.ToUpperInvariant())
            {
                case "ALL":
                    Add(items, "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE");
                    return new FetchRequest(items);
                case "FAST":
                    Add(items, "FLAGS", "INTERNALDATE", "RFC822.SIZE");
                    return new FetchRequest(items);
                case "FULL":
                    Add(items, "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY");
                    return new FetchRequest(items);
                default:
                    Add(items, token.Text);
                    return new FetchRequest(items);
            }
        }

        if (token.Kind != ImapTokenKind.List || token.Items.Count == 0 || token.Items.Any(t => t.Kind != ImapTokenKind.Atom))
        {
            throw new ImapSyntaxException("Invalid fetch items.");
        }

        Add(items, token.Items.Select(t => t.Text).ToArray());
        return new FetchRequest(items);
    }

    private static void Add(List<FetchItem> items, params string[] names)
    {
        foreach (var name in names)
        {
            var item = ParseItem(name);
            if (item.Kind == FetchItemKind.Uid && items.Any(i => i.Kind == FetchItemKind.Uid))
            {
                continue;
            }

            items.Add(item);
        }
    }

    private static FetchItem ParseItem(string name)
    {
        switch (name.ToUpperInvariant())
        {
            case "UID": return new FetchItem(FetchItemKind.Uid);
            case "FLAGS": return new FetchItem(FetchItemKind.Flags);
            case "INTERNALDATE": return new FetchItem(FetchItemKind.InternalDate);
            case "RFC822.SIZE": return new FetchItem(FetchItemKind.Rfc822Size);
            case "ENVELOPE": return new FetchItem(FetchItemKind.Envelope);
            case "BODY": return new FetchItem(FetchItemKind.Body);
            case "BODYSTRUCTURE": return new FetchItem(FetchItemKind.BodyStructure);
            case "MODSEQ": return new FetchItem(FetchItemKind.ModSeq);
            case "RFC822": return new FetchItem(FetchItemKind.Section, BodySection.Parse(string.Empty, string.Empty), "RFC822", true);
            case "RFC822.HEADER": return new FetchItem(FetchItemKind.Section, BodySection.Parse("HEADER", string.Empty), "RFC822.HEADER");
            case "RFC822.TEXT": return new FetchItem(FetchItemKind.Section, BodySection.Parse("TEXT", string.Empty), "RFC822.TEXT", true);
        }

        var upper = name.ToUpperInvariant();
        if (upper.StartsWith("BINARY", StringComparison.Ordinal))
        {
            return ParseBinary(name, upper);
        }

        var peek = upper.StartsWith("BODY.PEEK[", StringComparison.Ordinal);
        if (!peek && !upper.StartsWith("BODY[", StringComparison.Ordinal))
        {
            throw new ImapSyntaxException($"Unknown fetch item {name}.");
        }

        var open = name.IndexOf('[', StringComparison.Ordinal);
        var close = name.LastIndexOf(']');
        if (close < open)
        {
            throw new ImapSyntaxException("Invalid section.");
        }

        var section = BodySection.Parse(name[(open + 1)..close], name[(close + 1)..]);
        return new FetchItem(FetchItemKind.Section, section, null, !peek);
    }

    /// <summary>BINARY[part]&lt;partial&gt;, BINARY.PEEK[part]&lt;partial&gt;, BINARY.SIZE[part]: part numbers only (RFC 3516 §4.1).</summary>
    private static FetchItem ParseBinary(string name, string upper)
    {
        var kind = upper.StartsWith("BINARY.SIZE[", StringComparison.Ordinal) ? FetchItemKind.BinarySize : FetchItemKind.Binary;
        var peek = upper.StartsWith("BINARY.PEEK[", StringComparison.Ordinal);
        if (kind == FetchItemKind.Binary && !peek && !upper.StartsWith("BINARY[", StringComparison.Ordinal))
        {
            throw new ImapSyntaxException($"Unknown fetch item {name}.");
        }

        var open = name.IndexOf('[', StringComparison.Ordinal);
        var close = name.LastIndexOf(']');
        var part = close > open ? name[(open + 1)..close] : null;
        var partial = close > open ? name[(close + 1)..] : string.Empty;
        if (part is null || !part.All(c => char.IsAsciiDigit(c) || c == '.') || (kind == FetchItemKind.BinarySize && partial.Length > 0))
        {
            throw new ImapSyntaxException("BINARY takes part numbers only.");
        }

        var section = BodySection.Parse(part, partial);
        var label = (kind == FetchItemKind.BinarySize ? "BINARY.SIZE[" : "BINARY[") + part + "]" +
            (section.PartialStart is { } start ? "<" + start.ToString(System.Globalization.CultureInfo.InvariantCulture) + ">" : string.Empty);
        return new FetchItem(kind, section, label, kind == FetchItemKind.Binary && !peek);
    }
}
