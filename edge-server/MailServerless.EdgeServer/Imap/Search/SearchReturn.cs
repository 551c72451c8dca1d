using System.Globalization;
using System.Text;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap.Search;

/// <summary>
/// SEARCH RETURN (MIN MAX ALL COUNT) of ESEARCH (RFC 4731): the answer as <c>* ESEARCH (TAG "t") [UID] …</c>
/// instead of <c>* SEARCH</c>; <c>RETURN ()</c> means ALL. SAVE (SEARCHRES, RFC 5182) keeps the result for "$".
/// </summary>
public sealed class SearchReturn
{
    private readonly HashSet<string> _options;

    private SearchReturn(HashSet<string> options) => _options = options;

    /// <summary>The RETURN options before the criteria, or null without RETURN; <paramref name="criteria"/> is what follows.</summary>
    public static SearchReturn? Parse(IReadOnlyList<ImapToken> tokens, out IReadOnlyList<ImapToken> criteria)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        criteria = tokens;
        if (tokens.Count == 0 || tokens[0].Kind != ImapTokenKind.Atom || !tokens[0].Text.Equals("RETURN", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (tokens.Count < 2 || tokens[1].Kind != ImapTokenKind.List)
        {
            throw new ImapSyntaxException("RETURN needs a list of options.");
        }

        var options = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in tokens[1].Items)
        {
            var option = item.Kind == ImapTokenKind.Atom ? item.Text.ToUpperInvariant() : string.Empty;
            if (option is not ("MIN" or "MAX" or "ALL" or "COUNT" or "SAVE"))
            {
                throw new ImapSyntaxException($"Unknown RETURN option {item.Text}.");
            }

            options.Add(option);
        }

        if (options.Count == 0)
        {
            options.Add("ALL");
        }

        criteria = tokens.Skip(2).ToList();
        return new SearchReturn(options);
    }

    /// <summary>RETURN (ALL): IMAP4rev2's answer to a SEARCH without RETURN.</summary>
    public static SearchReturn All => new(new HashSet<string>(StringComparer.Ordinal) { "ALL" });

    /// <summary>SAVE was asked for.</summary>
    public bool Saves => _options.Contains("SAVE");

    /// <summary>An ESEARCH response is due: not when SAVE is the only option (RFC 5182 §2.2).</summary>
    public bool Answers => _options.Count > 1 || !Saves;

    /// <summary>What SAVE keeps: all found, or with MIN and/or MAX alone only those (RFC 5182 §2.1).</summary>
    /// <summary>The results the answer names: all of them, or with MIN and/or MAX alone only those (RFC 7162 §3.1.5 too).</summary>
    public IEnumerable<uint> Saved(IReadOnlyList<uint> uids)
    {
        ArgumentNullException.ThrowIfNull(uids);
        if (uids.Count == 0 || _options.Contains("ALL") || _options.Contains("COUNT") || !(_options.Contains("MIN") || _options.Contains("MAX")))
        {
            return uids;
        }

        return new[] { _options.Contains("MIN") ? uids.Min() : uids.Max(), _options.Contains("MAX") ? uids.Max() : uids.Min() }.Distinct();
    }

    /// <param name="modSeq">With a MODSEQ key, the highest mod-sequence of the messages found (RFC 7162 §3.1.5).</param>
    public static string Plain(IReadOnlyList<uint> ids, ulong? modSeq = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var builder = new StringBuilder("* SEARCH");
        foreach (var id in ids)
        {
            builder.Append(' ').Append(id.ToString(CultureInfo.InvariantCulture));
        }

        if (ids.Count > 0 && modSeq is { } highest)
        {
            builder.Append(" (MODSEQ ").Append(highest.ToString(CultureInfo.InvariantCulture)).Append(')');
        }

        return builder.ToString();
    }

    /// <summary>The ESEARCH response (RFC 4731 §3.1); MIN, MAX and ALL are left out when nothing matched.</summary>
    public string Extended(string tag, bool byUid, IReadOnlyList<uint> ids, ulong? modSeq = null)
    {
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(ids);
        var builder = new StringBuilder("* ESEARCH (TAG ").Append(ImapString.Quote(tag)).Append(')');
        if (byUid)
        {
            builder.Append(" UID");
        }

        if (ids.Count > 0)
        {
            if (_options.Contains("MIN"))
            {
                builder.Append(" MIN ").Append(ids.Min().ToString(CultureInfo.InvariantCulture));
            }

            if (_options.Contains("MAX"))
            {
                builder.Append(" MAX ").Append(ids.Max().ToString(CultureInfo.InvariantCulture));
            }

            if (_options.Contains("ALL"))
            {
                builder.Append(" ALL ").Append(Ranges(ids));
            }
        }

        if (_options.Contains("COUNT"))
        {
            builder.Append(" COUNT ").Append(ids.Count.ToString(CultureInfo.InvariantCulture));
        }

        if (ids.Count > 0 && modSeq is { } highest)
        {
            builder.Append(" MODSEQ ").Append(highest.ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>A sequence set of ascending ids, runs as ranges: <c>1:3,7</c>.</summary>
    private static string Ranges(IReadOnlyList<uint> ids)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < ids.Count;)
        {
            var j = i;
            while (j + 1 < ids.Count && ids[j + 1] == ids[j] + 1)
            {
                j++;
            }

            builder.Append(builder.Length > 0 ? "," : string.Empty).Append(ids[i].ToString(CultureInfo.InvariantCulture));
            if (j > i)
            {
                builder.Append(':').Append(ids[j].ToString(CultureInfo.InvariantCulture));
            }

            i = j + 1;
        }

        return builder.ToString();
    }
}
