using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MailServerless.Core.Sieve;

/// <summary>How a test compares (RFC 5228 §2.7): the match type, its relational operator, and the comparator.</summary>
public sealed record SieveMatch(string Type, string? Relation, string Comparator)
{
    public static SieveMatch Default { get; } = new("is", null, "i;ascii-casemap");

    /// <summary>Regex matching is linear in its input: .NET's non-backtracking engine, with a timeout besides.</summary>
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Whether any of <paramref name="values"/> matches any of <paramref name="keys"/>; on a :matches or :regex match,
    /// <paramref name="captures"/> gets the match variables (§ RFC 5229 §3.2).
    /// </summary>
    public bool Test(IReadOnlyList<string> values, IReadOnlyList<string> keys, List<string>? captures)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(keys);
        if (Type == "count")
        {
            var count = values.Count.ToString(CultureInfo.InvariantCulture);
            return keys.Any(k => Relate(Compare(count, k)));
        }

        foreach (var value in values)
        {
            foreach (var key in keys)
            {
                switch (Type)
                {
                    case "is" when Equal(value, key):
                    case "contains" when Contains(value, key):
                    case "value" when Relate(Compare(value, key)):
                        return true;
                    case "matches" when Wildcard(value, key, captures):
                    case "regex" when RegexMatch(value, key, captures):
                        return true;
                }
            }
        }

        return false;
    }

    private bool Relate(int comparison) => Relation switch
    {
        "gt" => comparison > 0,
        "ge" => comparison >= 0,
        "lt" => comparison < 0,
        "le" => comparison <= 0,
        "eq" => comparison == 0,
        "ne" => comparison != 0,
        _ => false,
    };

    private bool Equal(string a, string b) => Compare(a, b) == 0;

    /// <summary>Orders two values under the comparator (RFC 4790: i;octet, i;ascii-casemap, i;ascii-numeric).</summary>
    public int Compare(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Comparator switch
        {
            "i;octet" => Math.Sign(string.CompareOrdinal(Utf8(a), Utf8(b))),
            "i;ascii-numeric" => CompareNumeric(a, b),
            _ => Math.Sign(string.CompareOrdinal(AsciiUpper(a), AsciiUpper(b))),
        };
    }

    private bool Contains(string value, string key) => Comparator switch
    {
        "i;octet" => value.Contains(key, StringComparison.Ordinal),
        "i;ascii-numeric" => false,
        _ => AsciiUpper(value).Contains(AsciiUpper(key), StringComparison.Ordinal),
    };

    /// <summary>
    /// <c>:matches</c> (§2.7.1): <c>*</c> any run, <c>?</c> one character, <c>\</c> quotes the next; each wildcard's
    /// text becomes a match variable. Linear-time greedy matching with backtracking only to the last <c>*</c>.
    /// </summary>
    private bool Wildcard(string value, string key, List<string>? captures)
    {
        var tokens = new List<(char Kind, char Literal)>();
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] == '\\' && i + 1 < key.Length)
            {
                tokens.Add(('l', key[++i]));
            }
            else
            {
                tokens.Add(key[i] switch { '*' => ('*', '\0'), '?' => ('?', '\0'), _ => ('l', key[i]) });
            }
        }

        // Minimal-first ("non-greedy") spans, as Pigeonhole assigns them, found by dynamic programming over positions:
        // O(value × key), bounded by the script and header limits.
        var n = value.Length;
        var m = tokens.Count;
        var can = new bool[m + 1, n + 1];
        can[m, n] = true;
        for (var t = m - 1; t >= 0; t--)
        {
            for (var p = n; p >= 0; p--)
            {
                can[t, p] = tokens[t].Kind switch
                {
                    '*' => can[t + 1, p] || (p < n && can[t, p + 1]),
                    '?' => p < n && can[t + 1, p + 1],
                    _ => p < n && Same(value[p], tokens[t].Literal) && can[t + 1, p + 1],
                };
            }
        }

        if (!can[0, 0])
        {
            return false;
        }

        if (captures is not null)
        {
            captures.Clear();
            captures.Add(value);
            var position = 0;
            for (var t = 0; t < m; t++)
            {
                switch (tokens[t].Kind)
                {
                    case '*':
                        var end = position;
                        while (!can[t + 1, end])
                        {
                            end++;
                        }

                        captures.Add(value[position..end]);
                        position = end;
                        break;
                    case '?':
                        captures.Add(value[position].ToString());
                        position++;
                        break;
                    default:
                        position++;
                        break;
                }
            }
        }

        return true;
    }

    private bool Same(char a, char b) => Comparator == "i;octet" ? a == b : AsciiUpper(a) == AsciiUpper(b);

    private bool RegexMatch(string value, string key, List<string>? captures)
    {
        if (CreateRegex(key) is not { } regex)
        {
            return false;
        }

        Match match;
        try
        {
            match = regex.Match(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }

        if (!match.Success)
        {
            return false;
        }

        if (captures is not null)
        {
            captures.Clear();
            foreach (Group group in match.Groups)
            {
                captures.Add(group.Success ? group.Value : string.Empty);
            }
        }

        return true;
    }

    /// <summary>
    /// The pattern compiled for .NET's non-backtracking engine (linear in the input, whatever the pattern), case-blind
    /// unless the comparator is i;octet; null when it is not a valid pattern.
    /// </summary>
    internal Regex? CreateRegex(string key)
    {
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline;
        if (Comparator != "i;octet")
        {
            options |= RegexOptions.IgnoreCase;
        }

        try
        {
            return new Regex(PosixToDotNet(key), options, RegexTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>POSIX extended regular expressions (what Pigeonhole uses) in .NET's syntax: the character classes.</summary>
    internal static string PosixToDotNet(string pattern) => pattern
        .Replace("[:alpha:]", "a-zA-Z", StringComparison.Ordinal)
        .Replace("[:digit:]", "0-9", StringComparison.Ordinal)
        .Replace("[:alnum:]", "a-zA-Z0-9", StringComparison.Ordinal)
        .Replace("[:upper:]", "A-Z", StringComparison.Ordinal)
        .Replace("[:lower:]", "a-z", StringComparison.Ordinal)
        .Replace("[:space:]", " \\t\\r\\n\\v\\f", StringComparison.Ordinal)
        .Replace("[:punct:]", "!-/:-@\\[-`{-~", StringComparison.Ordinal)
        .Replace("[:xdigit:]", "0-9A-Fa-f", StringComparison.Ordinal);

    /// <summary>i;ascii-numeric (RFC 4790 §9.1): the leading digits as a number; none is positive infinity.</summary>
    private static int CompareNumeric(string a, string b)
    {
        var (x, y) = (Digits(a), Digits(b));
        if (x is null || y is null)
        {
            return x is null && y is null ? 0 : x is null ? 1 : -1;
        }

        return x.Length != y.Length ? Math.Sign(x.Length - y.Length) : Math.Sign(string.CompareOrdinal(x, y));
    }

    private static string? Digits(string s)
    {
        var end = 0;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
        {
            end++;
        }

        return end == 0 ? null : s[..end].TrimStart('0') is { Length: > 0 } trimmed ? trimmed : "0";
    }

    private static string AsciiUpper(string s)
    {
        var builder = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            builder.Append(AsciiUpper(c));
        }

        return builder.ToString();
    }

    private static char AsciiUpper(char c) => c is >= 'a' and <= 'z' ? (char)(c - 32) : c;

    private static string Utf8(string s) => s;
}
