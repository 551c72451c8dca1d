namespace MailServerless.Core.Sieve;

/// <summary>
/// The arguments of one command or test, split into tags (with the parameter a tag takes) and positional arguments,
/// against the tags that command accepts; anything else is a compile error naming its place.
/// </summary>
internal sealed class SieveArguments
{
    private static readonly string[] MatchTypes = ["is", "contains", "matches", "regex", "count", "value"];

    private readonly Dictionary<string, SieveArgument?> _tags = new(StringComparer.Ordinal);
    private readonly List<SieveArgument> _positional = [];

    /// <param name="accepted">Each tag the command takes, and whether a parameter follows it.</param>
    public SieveArguments(string owner, IReadOnlyList<SieveArgument> arguments, IReadOnlyDictionary<string, bool> accepted, ISet<string> extensions)
    {
        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i] is not SieveTag tag)
            {
                _positional.Add(arguments[i]);
                continue;
            }

            if (_positional.Count > 0)
            {
                throw new SieveSyntaxException($"{owner}: tag :{tag.Name} after the positional arguments", tag.Line, tag.Column);
            }

            if (!accepted.TryGetValue(tag.Name, out var takesParameter) || !TagAllowed(tag.Name, extensions))
            {
                throw new SieveSyntaxException($"{owner}: unknown tagged argument ':{tag.Name}'", tag.Line, tag.Column);
            }

            var group = Group(tag.Name);
            if (group is not null && _tags.Keys.Any(k => Group(k) == group) || _tags.ContainsKey(tag.Name))
            {
                throw new SieveSyntaxException($"{owner}: :{tag.Name} given twice, or with another of its kind", tag.Line, tag.Column);
            }

            SieveArgument? parameter = null;
            if (takesParameter)
            {
                if (i + 1 >= arguments.Count || arguments[i + 1] is SieveTag)
                {
                    throw new SieveSyntaxException($"{owner}: :{tag.Name} needs a parameter", tag.Line, tag.Column);
                }

                parameter = arguments[++i];
            }

            _tags[tag.Name] = parameter;
        }
    }

    public IReadOnlyList<SieveArgument> Positional => _positional;

    public bool Has(string tag) => _tags.ContainsKey(tag);

    public SieveArgument? Parameter(string tag) => _tags.GetValueOrDefault(tag);

    /// <summary>The match type, relation and comparator tags (RFC 5228 §2.7, RFC 5231).</summary>
    public SieveMatch Match(string owner, Func<string, string> expand)
    {
        var type = MatchTypes.FirstOrDefault(Has) ?? "is";
        string? relation = null;
        if (type is "count" or "value")
        {
            relation = expand(Single(owner, Parameter(type)!)).ToLowerInvariant();
            if (relation is not ("gt" or "ge" or "lt" or "le" or "eq" or "ne"))
            {
                var at = Parameter(type)!;
                throw new SieveSyntaxException($"{owner}: unknown relational operator '{relation}'", at.Line, at.Column);
            }
        }

        var comparator = Has("comparator") ? Single(owner, Parameter("comparator")!).ToLowerInvariant() : "i;ascii-casemap";
        if (comparator is not ("i;octet" or "i;ascii-casemap" or "i;ascii-numeric"))
        {
            var at = Parameter("comparator")!;
            throw new SieveSyntaxException($"{owner}: unknown comparator '{comparator}'", at.Line, at.Column);
        }

        return new SieveMatch(type, relation, comparator);
    }

    public static string Single(string owner, SieveArgument argument) =>
        argument is SieveStrings { Values: [var value] } ? value : throw new SieveSyntaxException($"{owner}: expected a string", argument.Line, argument.Column);

    public static IReadOnlyList<string> List(string owner, SieveArgument argument) =>
        argument is SieveStrings strings ? strings.Values : throw new SieveSyntaxException($"{owner}: expected a string list", argument.Line, argument.Column);

    public static long Number(string owner, SieveArgument argument) =>
        argument is SieveNumber number ? number.Value : throw new SieveSyntaxException($"{owner}: expected a number", argument.Line, argument.Column);

    /// <summary>Tags of one group exclude each other (one match type, one address part, one body transform).</summary>
    private static string? Group(string tag) => tag switch
    {
        "is" or "contains" or "matches" or "regex" or "count" or "value" => "match",
        "all" or "localpart" or "domain" or "user" or "detail" => "address-part",
        "raw" or "content" or "text" => "transform",
        "days" or "seconds" => "period",
        "zone" or "originalzone" => "zone",
        _ => null,
    };

    private static bool TagAllowed(string tag, ISet<string> extensions) => tag switch
    {
        "regex" => extensions.Contains("regex"),
        "count" or "value" => extensions.Contains("relational"),
        "user" or "detail" => extensions.Contains("subaddress"),
        "copy" => extensions.Contains("copy"),
        "flags" => extensions.Contains("imap4flags"),
        "create" => extensions.Contains("mailbox"),
        "encodeurl" => extensions.Contains("enotify"), // RFC 5435 §7
        "index" or "last" => extensions.Contains("index") || extensions.Contains("editheader"),
        _ => true,
    };
}
