using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;
using MimeKit;
using MimeKit.Utils;

namespace MailServerless.EdgeServer.Imap.Search;

/// <summary>
/// The sort criteria of SORT (RFC 5256 §3) and the DISPLAYFROM/DISPLAYTO keys of SORT=DISPLAY (RFC 5957): each key
/// with REVERSE where given; equal messages keep sequence order (§2.2's final tie-breaker). Strings compare under
/// i;ascii-casemap.
/// </summary>
public sealed class SortCriteria : IComparer<SearchCandidate>
{
    private readonly List<(string Key, bool Reverse)> _keys;
    private readonly Dictionary<(uint, string), object> _values = [];

    private SortCriteria(List<(string Key, bool Reverse)> keys) => _keys = keys;

    public static SortCriteria Parse(ImapToken list)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (list.Kind != ImapTokenKind.List || list.Items.Count == 0)
        {
            throw new ImapSyntaxException("SORT needs a list of sort criteria.");
        }

        var keys = new List<(string, bool)>();
        var reverse = false;
        foreach (var item in list.Items)
        {
            var word = item.Kind == ImapTokenKind.Atom ? item.Text.ToUpperInvariant() : string.Empty;
            switch (word)
            {
                case "REVERSE" when !reverse:
                    reverse = true;
                    continue;
                case "ARRIVAL" or "CC" or "DATE" or "FROM" or "SIZE" or "SUBJECT" or "TO" or "DISPLAYFROM" or "DISPLAYTO":
                    keys.Add((word, reverse));
                    reverse = false;
                    continue;
                default:
                    throw new ImapSyntaxException($"Unknown sort criterion {item.Text}.");
            }
        }

        if (reverse)
        {
            throw new ImapSyntaxException("REVERSE needs a sort key after it.");
        }

        return new SortCriteria(keys);
    }

    public int Compare(SearchCandidate? x, SearchCandidate? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        foreach (var (key, reverse) in _keys)
        {
            var order = Value(x, key) switch
            {
                string text => string.CompareOrdinal(text, (string)Value(y, key)),
                long number => number.CompareTo((long)Value(y, key)),
                _ => 0,
            };
            if (order != 0)
            {
                return reverse ? -order : order;
            }
        }

        return x.Sequence.CompareTo(y.Sequence);
    }

    /// <summary>Each message's key, worked out once.</summary>
    private object Value(SearchCandidate candidate, string key)
    {
        if (!_values.TryGetValue((candidate.Uid, key), out var value))
        {
            value = key switch
            {
                "ARRIVAL" => candidate.InternalDate.ToUnixTimeSeconds(),
                "DATE" => SentDate(candidate).ToUnixTimeSeconds(),
                "SIZE" => candidate.Size,
                "SUBJECT" => AsciiCasemap(BaseSubject.Of(candidate.Headers[HeaderId.Subject], out _)),
                "FROM" => AsciiCasemap(FirstAddress(candidate.Headers, "From")?.Mailbox),
                "TO" => AsciiCasemap(FirstAddress(candidate.Headers, "To")?.Mailbox),
                "CC" => AsciiCasemap(FirstAddress(candidate.Headers, "Cc")?.Mailbox),
                "DISPLAYFROM" => AsciiCasemap(Display(FirstAddress(candidate.Headers, "From"))),
                _ => AsciiCasemap(Display(FirstAddress(candidate.Headers, "To"))),
            };
            _values[(candidate.Uid, key)] = value;
        }

        return value;
    }

    /// <summary>The Date: header in UTC; without one that parses, the internal date (RFC 5256 §2.2).</summary>
    public static DateTimeOffset SentDate(SearchCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var raw = candidate.Headers[HeaderId.Date];
        return raw is not null && DateUtils.TryParse(raw, out var date) ? date.ToUniversalTime() : candidate.InternalDate.ToUniversalTime();
    }

    /// <summary>The first address of the field, read as written; a group's start counts, named by the group, as Dovecot sorts.</summary>
    private static EnvelopeAddress? FirstAddress(HeaderList headers, string field)
    {
        var index = headers.IndexOf(field);
        return index < 0 ? null : EnvelopeAddresses.Parse(System.Text.Encoding.UTF8.GetString(headers[index].RawValue)).FirstOrDefault();
    }

    /// <summary>RFC 5957 §3: the display name, decoded; without one, the address (a group: its name).</summary>
    private static string Display(EnvelopeAddress? address) =>
        address is null ? string.Empty
        : !string.IsNullOrEmpty(address.Name) ? Rfc2047.DecodePhrase(System.Text.Encoding.UTF8.GetBytes(address.Name))
        : address.Host is null ? address.Mailbox ?? string.Empty
        : $"{address.Mailbox}@{address.Host}";

    /// <summary>i;ascii-casemap (RFC 4790 §9.2): a to z as A to Z, nothing else changed.</summary>
    private static string AsciiCasemap(string? text) =>
        string.IsNullOrEmpty(text) ? string.Empty : string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is >= 'a' and <= 'z' ? (char)(source[i] - 32) : source[i];
            }
        });
}
