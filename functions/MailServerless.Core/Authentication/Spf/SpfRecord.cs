using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace MailServerless.Core.Authentication.Spf;

/// <summary>A syntax error in an SPF record or macro: the check ends in permerror (RFC 7208 §4.6).</summary>
public sealed class SpfSyntaxException(string message) : Exception(message)
{
    public SpfSyntaxException()
        : this("SPF syntax error")
    {
    }

    public SpfSyntaxException(string message, Exception inner)
        : this(message + ": " + inner?.Message)
    {
    }
}

/// <summary>A mechanism of RFC 7208 §5 with its qualifier (§4.6.2) and arguments.</summary>
/// <param name="DomainSpec">The target's macro-string, when the mechanism names one.</param>
/// <param name="Network">For ip4/ip6: the address.</param>
public sealed record SpfMechanism(char Qualifier, string Name, string? DomainSpec, IPAddress? Network, int Cidr4, int Cidr6);

/// <summary>An SPF record, parsed whole before it is used (§4.6: any syntax error anywhere is a permerror).</summary>
public sealed partial class SpfRecord
{
    private SpfRecord(IReadOnlyList<SpfMechanism> mechanisms, string? redirect, string? explanation)
    {
        Mechanisms = mechanisms;
        Redirect = redirect;
        Explanation = explanation;
    }

    public IReadOnlyList<SpfMechanism> Mechanisms { get; }

    /// <summary>The <c>redirect=</c> modifier's domain-spec (§6.1).</summary>
    public string? Redirect { get; }

    /// <summary>The <c>exp=</c> modifier's domain-spec (§6.2).</summary>
    public string? Explanation { get; }

    /// <summary>Whether a TXT record is an SPF record: "v=spf1" alone or followed by a space (§4.5).</summary>
    public static bool IsSpf(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <exception cref="SpfSyntaxException">The record is not valid.</exception>
    public static SpfRecord Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var mechanisms = new List<SpfMechanism>();
        string? redirect = null, explanation = null;
        foreach (var term in text[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ModifierName().Match(term) is { Success: true } modifier)
            {
                var name = modifier.Groups[1].Value.ToLowerInvariant();
                var value = term[(modifier.Length)..];
                switch (name)
                {
                    case "redirect":
                        redirect = redirect is null ? DomainSpec(value) : throw new SpfSyntaxException("redirect= appears twice");
                        break;
                    case "exp":
                        explanation = explanation is null ? DomainSpec(value) : throw new SpfSyntaxException("exp= appears twice");
                        break;
                    default:
                        SpfMacro.Validate(value, explanation: false); // unknown modifiers are ignored, but must be well formed (§6)
                        break;
                }

                continue;
            }

            mechanisms.Add(Mechanism(term));
        }

        return new SpfRecord(mechanisms, redirect, explanation);
    }

    private static SpfMechanism Mechanism(string term)
    {
        var qualifier = term[0] is '+' or '-' or '~' or '?' ? term[0] : '+';
        var body = term[0] is '+' or '-' or '~' or '?' ? term[1..] : term;
        var end = body.IndexOfAny([':', '/']);
        var name = (end < 0 ? body : body[..end]).ToLowerInvariant();
        var rest = end < 0 ? string.Empty : body[end..];
        switch (name)
        {
            case "all":
                return rest.Length == 0 ? new SpfMechanism(qualifier, name, null, null, 32, 128) : throw new SpfSyntaxException($"'{term}': all takes no argument");
            case "include":
            case "exists":
                return rest.StartsWith(':') && rest.Length > 1
                    ? new SpfMechanism(qualifier, name, DomainSpec(rest[1..]), null, 32, 128)
                    : throw new SpfSyntaxException($"'{term}': {name} needs a domain");
            case "ptr":
                if (rest.Length == 0)
                {
                    return new SpfMechanism(qualifier, name, null, null, 32, 128);
                }

                return rest.StartsWith(':') && rest.Length > 1
                    ? new SpfMechanism(qualifier, name, DomainSpec(rest[1..]), null, 32, 128)
                    : throw new SpfSyntaxException($"'{term}': bad ptr");
            case "a":
            case "mx":
            {
                var (domain, cidr4, cidr6) = DualCidr(rest, term);
                return new SpfMechanism(qualifier, name, domain is null ? null : DomainSpec(domain), null, cidr4, cidr6);
            }

            case "ip4":
            case "ip6":
                return Network(qualifier, name, rest, term);
            default:
                throw new SpfSyntaxException($"unknown mechanism '{term}'");
        }
    }

    /// <summary>
    /// <c>[":" domain-spec] [ip4-cidr-length] ["/" ip6-cidr-length]</c> (§5.3, §5.4): the lengths are taken from the end,
    /// since a domain-spec may itself hold "/" and ":" (§7.1).
    /// </summary>
    private static (string? Domain, int Cidr4, int Cidr6) DualCidr(string rest, string term)
    {
        string? domain = null;
        if (rest.StartsWith(':'))
        {
            var match = TrailingCidr().Match(rest[1..]);
            domain = match.Groups["domain"].Value;
            rest = rest[(1 + domain.Length)..];
            if (domain.Length == 0)
            {
                throw new SpfSyntaxException($"'{term}': empty domain");
            }
        }

        var cidr = TrailingCidr().Match(rest);
        if (cidr.Groups["domain"].Length > 0)
        {
            throw new SpfSyntaxException($"'{term}': bad argument");
        }

        var cidr4 = cidr.Groups["v4"].Success ? Length(cidr.Groups["v4"].Value, 32, term) : 32;
        var cidr6 = cidr.Groups["v6"].Success ? Length(cidr.Groups["v6"].Value, 128, term) : 128;
        return (domain, cidr4, cidr6);
    }

    private static SpfMechanism Network(char qualifier, string name, string rest, string term)
    {
        if (!rest.StartsWith(':'))
        {
            throw new SpfSyntaxException($"'{term}': {name} needs an address");
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var text = slash < 0 ? rest[1..] : rest[1..slash];
        var ipv6 = name == "ip6";
        var max = ipv6 ? 128 : 32;
        var length = slash < 0 ? max : Length(rest[(slash + 1)..], max, term);
        var valid = ipv6
            ? text.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(text, out var address6) && address6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            : Ip4().IsMatch(text) && IPAddress.TryParse(text, out var address4) && address4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        if (!valid)
        {
            throw new SpfSyntaxException($"'{term}': not an {(ipv6 ? "IPv6" : "IPv4")} address");
        }

        return new SpfMechanism(qualifier, name, null, IPAddress.Parse(text), ipv6 ? 32 : length, ipv6 ? length : 128);
    }

    /// <summary>A CIDR length: digits, no leading zero, at most <paramref name="max"/> (§5.6).</summary>
    private static int Length(string text, int max, string term) =>
        text.Length > 0 && text.Length <= 3 && text.All(char.IsAsciiDigit) && (text == "0" || text[0] != '0') &&
        int.Parse(text, CultureInfo.InvariantCulture) is var value && value <= max
            ? value
            : throw new SpfSyntaxException($"'{term}': bad CIDR length '{text}'");

    /// <summary>A domain-spec (§7.1): a valid macro-string ending in a top label or a macro.</summary>
    private static string DomainSpec(string value)
    {
        SpfMacro.Validate(value, explanation: false);
        if (value.EndsWith('}'))
        {
            return value;
        }

        var trimmed = value.EndsWith('.') ? value[..^1] : value;
        var dot = trimmed.LastIndexOf('.');
        var top = dot < 0 ? string.Empty : trimmed[(dot + 1)..];
        if (dot < 0 || !TopLabel().IsMatch(top))
        {
            throw new SpfSyntaxException($"'{value}' does not end in a top-level label");
        }

        return value;
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9\-_.]*)=")]
    private static partial Regex ModifierName();

    [GeneratedRegex(@"^(?<domain>.*?)(/(?<v4>[0-9]+))?(//(?<v6>[0-9]+))?$", RegexOptions.Singleline)]
    private static partial Regex TrailingCidr();

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){3}$")]
    private static partial Regex Ip4();

    // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    [GeneratedRegex(@"^([A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])$")]
    private static partial Regex TopLabel();
}
