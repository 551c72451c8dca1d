using System.Globalization;
using System.Reflection;

namespace MailServerless.Core.Authentication;

/// <summary>
/// The Public Suffix List (publicsuffix.org), for DMARC's organizational domain (RFC 7489 §3.2): the copy
/// shipped in this library, or the system's (<c>/usr/share/publicsuffix</c>, Debian's <c>publicsuffix</c>) when
/// that one is newer.
/// </summary>
public sealed class PublicSuffixList
{
    public const string SystemPath = "/usr/share/publicsuffix/public_suffix_list.dat";

    private static readonly Lazy<PublicSuffixList> LazyDefault = new(() => Load(SystemPath));

    private readonly HashSet<string> _rules = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _wildcards = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _exceptions = new(StringComparer.OrdinalIgnoreCase);

    private PublicSuffixList(IEnumerable<string> lines, string source)
    {
        Source = source;
        foreach (var raw in lines)
        {
            // Each rule is the line up to its first white space (the list's format).
            var line = raw.Trim();
            var space = line.IndexOfAny([' ', '\t']);
            var rule = (space < 0 ? line : line[..space]).ToLowerInvariant();
            if (rule.Length == 0 || rule.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            rule = Ascii(rule.TrimStart('!', '*', '.')) is { } ascii
                ? rule[..(rule.Length - rule.TrimStart('!', '*', '.').Length)] + ascii
                : rule;
            if (rule.StartsWith('!'))
            {
                _exceptions.Add(rule[1..]);
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                _wildcards.Add(rule[2..]);
            }
            else
            {
                _rules.Add(rule);
            }
        }
    }

    /// <summary>The shipped copy, or the system's when it is newer.</summary>
    public static PublicSuffixList Default => LazyDefault.Value;

    /// <summary>Where the rules came from ("shipped copy of 2023-02-09", or the system file's path).</summary>
    public string Source { get; }

    public int RuleCount => _rules.Count + _wildcards.Count + _exceptions.Count;

    /// <summary>The shipped copy, unless <paramref name="systemPath"/> exists and was written after the shipped copy's date.</summary>
    public static PublicSuffixList Load(string systemPath)
    {
        var shipped = Shipped();
        var shippedDate = ShippedDate(shipped[0]);
        if (File.Exists(systemPath) && File.GetLastWriteTimeUtc(systemPath).Date > shippedDate)
        {
            try
            {
                return new PublicSuffixList(File.ReadLines(systemPath), systemPath);
            }
            catch (IOException)
            {
                // Unreadable: the shipped copy will do.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return new PublicSuffixList(shipped, $"shipped copy of {shippedDate:yyyy-MM-dd}");
    }

    /// <summary>A list of the given rules (tests).</summary>
    public static PublicSuffixList FromRules(params string[] rules) => new(rules, "rules");

    /// <summary>
    /// The organizational domain of <paramref name="domain"/>: its public suffix and one label more (RFC 7489
    /// §3.2); the domain itself when it is no longer than a public suffix.
    /// </summary>
    public string OrganizationalDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var name = (Ascii(domain.TrimEnd('.')) ?? domain.TrimEnd('.')).ToLowerInvariant();
        var labels = name.Split('.');
        var suffixLabels = 1; // the implicit rule "*"
        for (var i = 0; i < labels.Length; i++)
        {
            var candidate = string.Join('.', labels[i..]);
            if (_exceptions.Contains(candidate))
            {
                suffixLabels = Math.Max(suffixLabels, labels.Length - i - 1);
                break;
            }

            if (_rules.Contains(candidate))
            {
                suffixLabels = Math.Max(suffixLabels, labels.Length - i);
            }

            if (i > 0 && _wildcards.Contains(candidate))
            {
                suffixLabels = Math.Max(suffixLabels, labels.Length - i + 1);
            }
        }

        return labels.Length <= suffixLabels ? name : string.Join('.', labels[^(suffixLabels + 1)..]);
    }

    private static string[] Shipped()
    {
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream("MailServerless.Core.Authentication.public_suffix_list.dat")
                           ?? throw new InvalidOperationException("the shipped public suffix list is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    private static DateTime ShippedDate(string firstLine) =>
        firstLine.Split(' ').FirstOrDefault(w => w.Length == 10 && w[4] == '-') is { } date &&
        DateTime.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : DateTime.MinValue;

    private static string? Ascii(string name)
    {
        try
        {
            return name.Length == 0 ? name : new IdnMapping().GetAscii(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
