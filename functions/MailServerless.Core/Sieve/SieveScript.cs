using System.Globalization;
using System.Text;

namespace MailServerless.Core.Sieve;

/// <summary>
/// A compiled Sieve script (RFC 5228 with the extensions Pigeonhole users rely on): parsed, its <c>require</c>s and
/// every command, test and tag checked at compile time, then run against messages by <see cref="Run"/>.
/// </summary>
public sealed class SieveScript
{
    /// <summary>The extensions this interpreter knows (the SIEVE capability of ManageSieve).</summary>
    public static IReadOnlyList<string> Extensions { get; } =
    [
        "fileinto", "reject", "ereject", "envelope", "encoded-character", "vacation", "imap4flags", "body", "variables", "copy",
        "mailbox", "relational", "subaddress", "date", "index", "regex", "include", "spamtest", "spamtestplus", "virustest",
        "duplicate", "editheader", "enotify", "comparator-i;ascii-numeric", "comparator-i;octet", "comparator-i;ascii-casemap",
    ];

    private static readonly Dictionary<string, bool> MatchTags = new(StringComparer.Ordinal)
    {
        ["is"] = false, ["contains"] = false, ["matches"] = false, ["regex"] = false, ["count"] = true, ["value"] = true, ["comparator"] = true,
    };

    private static readonly Dictionary<string, bool> AddressTags = new(MatchTags)
    {
        ["all"] = false, ["localpart"] = false, ["domain"] = false, ["user"] = false, ["detail"] = false, ["index"] = true, ["last"] = false,
    };

    private static readonly Dictionary<string, bool> HeaderTags = new(MatchTags) { ["index"] = true, ["last"] = false };

    private static readonly Dictionary<string, bool> NoTags = new(StringComparer.Ordinal);

    private SieveScript(IReadOnlyList<SieveCommand> commands, HashSet<string> extensions)
    {
        Commands = commands;
        Required = extensions;
    }

    internal IReadOnlyList<SieveCommand> Commands { get; }

    /// <summary>The extensions the script requires.</summary>
    public IReadOnlySet<string> Required { get; }

    /// <summary>Whether a run may look past the header: the <c>body</c> test, or an included script that might.</summary>
    public bool ReadsBody => Required.Contains("body") || Required.Contains("include");

    /// <exception cref="SieveSyntaxException">The script does not compile; the message names line and column.</exception>
    public static SieveScript Compile(string text)
    {
        var commands = SieveParser.Parse(text);
        var extensions = new HashSet<string>(StringComparer.Ordinal);
        var requiresDone = false;
        foreach (var command in commands)
        {
            if (command.Name != "require")
            {
                requiresDone = true;
                continue;
            }

            if (requiresDone)
            {
                throw new SieveSyntaxException("require must come before other commands", command.Line, command.Column);
            }

            foreach (var name in SieveArguments.List("require", command.Arguments is [var only] ? only : throw new SieveSyntaxException("require takes one string list", command.Line, command.Column)))
            {
                var extension = name.ToLowerInvariant();
                if (!Extensions.Contains(extension))
                {
                    throw new SieveSyntaxException($"require: unknown Sieve capability '{name}'", command.Line, command.Column);
                }

                extensions.Add(extension);
            }
        }

        if (extensions.Contains("ereject"))
        {
            extensions.Add("reject-extended");
        }

        var decoded = extensions.Contains("encoded-character") ? commands.Select(Decode).ToList() : commands;
        Validate(decoded, extensions, null);
        return new SieveScript(decoded, extensions);
    }

    /// <summary>Runs the script; a run-time error gives the implicit keep alone, with the error.</summary>
    public SieveResult Run(SieveMessage message, ISieveEnvironment? environment = null, SieveLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var run = new SieveRun(message, environment ?? EmptySieveEnvironment.Instance, limits ?? new SieveLimits());
        try
        {
            run.Execute(Commands, Required, 0);
            return run.Result();
        }
        catch (SieveRuntimeException e)
        {
            return new SieveResult([], true, [], e.Message);
        }
        catch (SieveSyntaxException e)
        {
            return new SieveResult([], true, [], e.Message);
        }
    }

    /// <summary>
    /// Runs scripts one after another on one result, as Pigeonhole runs <c>sieve_before</c>, the user's script and
    /// <c>sieve_after</c>: a <c>stop</c> ends them all; a run-time error gives the implicit keep alone.
    /// </summary>
    public static SieveResult RunAll(IReadOnlyList<SieveScript> scripts, SieveMessage message, ISieveEnvironment? environment = null, SieveLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        ArgumentNullException.ThrowIfNull(message);
        var run = new SieveRun(message, environment ?? EmptySieveEnvironment.Instance, limits ?? new SieveLimits());
        try
        {
            foreach (var script in scripts)
            {
                run.Execute(script.Commands, script.Required, 0);
                if (run.Stopped)
                {
                    break;
                }
            }

            return run.Result();
        }
        catch (Exception e) when (e is SieveRuntimeException or SieveSyntaxException)
        {
            return new SieveResult([], true, [], e.Message);
        }
    }

    /// <summary>Checks every command and test: known, its extension required, its tags and arguments right.</summary>
    internal static void Validate(IReadOnlyList<SieveCommand> commands, ISet<string> extensions, string? previous)
    {
        foreach (var command in commands)
        {
            ValidateCommand(command, extensions, previous);
            previous = command.Name;
        }
    }

    private static void ValidateCommand(SieveCommand command, ISet<string> extensions, string? previous)
    {
        var (needs, tags, positional, takesTest, takesBlock) = command.Name switch
        {
            "require" => (null, NoTags, 1, false, false),
            "if" => (null, NoTags, 0, true, true),
            "elsif" or "else" when previous is not ("if" or "elsif") => throw Error(command, $"{command.Name} without a preceding if"),
            "elsif" => (null, NoTags, 0, true, true),
            "else" => (null, NoTags, 0, false, true),
            "stop" or "discard" => (null, NoTags, 0, false, false),
            "keep" => (null, Tags(("flags", true)), 0, false, false),
            "fileinto" => ("fileinto", Tags(("copy", false), ("flags", true), ("create", false)), 1, false, false),
            "redirect" => (null, Tags(("copy", false)), 1, false, false),
            "reject" => ("reject", NoTags, 1, false, false),
            "ereject" => ("ereject", NoTags, 1, false, false),
            "setflag" or "addflag" or "removeflag" => ("imap4flags", NoTags, -1, false, false),
            "set" => ("variables", Tags(("lower", false), ("upper", false), ("lowerfirst", false), ("upperfirst", false), ("quotewildcard", false),
                ("quoteregex", false), ("length", false), ("encodeurl", false)), 2, false, false),
            "vacation" => ("vacation", Tags(("days", true), ("seconds", true), ("subject", true), ("from", true), ("addresses", true), ("mime", false),
                ("handle", true)), 1, false, false),
            "addheader" => ("editheader", Tags(("last", false)), 2, false, false),
            "deleteheader" => ("editheader", new Dictionary<string, bool>(HeaderTags), -1, false, false),
            "include" => ("include", Tags(("personal", false), ("global", false), ("once", false), ("optional", false)), 1, false, false),
            "return" => ("include", NoTags, 0, false, false),
            "global" => ("include", NoTags, 1, false, false),
            "notify" => ("enotify", Tags(("from", true), ("importance", true), ("options", true), ("message", true)), 1, false, false),
            _ => throw Error(command, $"unknown command '{command.Name}'"),
        };
        if (needs is not null && !extensions.Contains(needs) && !(needs == "include" && command.Name == "global" && extensions.Contains("variables")))
        {
            throw Error(command, $"{command.Name} needs require \"{needs}\"");
        }

        var arguments = new SieveArguments(command.Name, command.Arguments, tags, extensions);
        if (positional >= 0 && arguments.Positional.Count != positional)
        {
            throw Error(command, $"{command.Name} takes {positional} positional argument(s)");
        }

        if (command.Name == "notify")
        {
            ValidateNotify(command, arguments, extensions);
        }

        if (takesTest != (command.Tests.Count == 1))
        {
            throw Error(command, takesTest ? $"{command.Name} needs one test" : $"{command.Name} takes no test");
        }

        if (takesBlock != (command.Block is not null))
        {
            throw Error(command, takesBlock ? $"{command.Name} needs a block" : $"{command.Name} takes no block (missing ';'?)");
        }

        foreach (var test in command.Tests)
        {
            ValidateTest(test, extensions);
        }

        if (command.Block is not null)
        {
            Validate(command.Block, extensions, null);
        }
    }

    private static void ValidateTest(SieveTest test, ISet<string> extensions)
    {
        var (needs, tags, positional, tests) = test.Name switch
        {
            "address" => (null, AddressTags, 2, 0),
            "envelope" => ("envelope", AddressTags, 2, 0),
            "header" => (null, HeaderTags, 2, 0),
            "exists" => (null, NoTags, 1, 0),
            "size" => (null, Tags(("over", false), ("under", false)), 1, 0),
            "true" or "false" => (null, NoTags, 0, 0),
            "not" => (null, NoTags, 0, 1),
            "allof" or "anyof" => (null, NoTags, 0, -1),
            "body" => ("body", new Dictionary<string, bool>(MatchTags) { ["raw"] = false, ["content"] = true, ["text"] = false }, 1, 0),
            "string" => ("variables", MatchTags, 2, 0),
            "hasflag" => ("imap4flags", MatchTags, -1, 0),
            "mailboxexists" => ("mailbox", NoTags, 1, 0),
            "date" => ("date", new Dictionary<string, bool>(HeaderTags) { ["zone"] = true, ["originalzone"] = false }, 3, 0),
            "currentdate" => ("date", new Dictionary<string, bool>(MatchTags) { ["zone"] = true }, 2, 0),
            "spamtest" => ("spamtest", new Dictionary<string, bool>(MatchTags) { ["percent"] = false }, 1, 0),
            "virustest" => ("virustest", MatchTags, 1, 0),
            "duplicate" => ("duplicate", Tags(("handle", true), ("header", true), ("uniqueid", true), ("seconds", true), ("last", false)), 0, 0),
            "valid_notify_method" => ("enotify", NoTags, 1, 0),
            "notify_method_capability" => ("enotify", MatchTags, 3, 0),
            _ => throw new SieveSyntaxException($"unknown test '{test.Name}'", test.Line, test.Column),
        };
        if (needs is not null && !extensions.Contains(needs) && !(needs == "spamtest" && extensions.Contains("spamtestplus")))
        {
            throw new SieveSyntaxException($"{test.Name} needs require \"{needs}\"", test.Line, test.Column);
        }

        var arguments = new SieveArguments(test.Name, test.Arguments, tags, extensions);
        if (positional >= 0 && arguments.Positional.Count != positional || positional < 0 && arguments.Positional.Count is < 1 or > 2)
        {
            throw new SieveSyntaxException($"{test.Name} takes {positional} positional argument(s)", test.Line, test.Column);
        }

        if (tests >= 0 && test.Tests.Count != tests || tests < 0 && test.Tests.Count == 0)
        {
            throw new SieveSyntaxException($"{test.Name}: wrong number of tests", test.Line, test.Column);
        }

        if (arguments.Has("count") || arguments.Has("value"))
        {
            _ = arguments.Match(test.Name, s => s);
        }

        if (arguments.Has("comparator"))
        {
            var comparator = SieveArguments.Single(test.Name, arguments.Parameter("comparator")!).ToLowerInvariant();
            if (comparator is not ("i;octet" or "i;ascii-casemap") && !extensions.Contains("comparator-" + comparator))
            {
                throw new SieveSyntaxException($"{test.Name}: comparator '{comparator}' needs require \"comparator-{comparator}\"", test.Line, test.Column);
            }
        }

        foreach (var nested in test.Tests)
        {
            ValidateTest(nested, extensions);
        }
    }

    /// <summary>
    /// RFC 5435 §3: what can be known before a message arrives is checked at compile time, as Pigeonhole does: a method
    /// URI, an importance or a :from written out (no variable in it), and the form of each option.
    /// </summary>
    private static void ValidateNotify(SieveCommand command, SieveArguments arguments, ISet<string> extensions)
    {
        bool Literal(string text) => !extensions.Contains("variables") || !text.Contains("${", StringComparison.Ordinal);
        var method = SieveArguments.Single("notify", arguments.Positional[0]);
        if (Literal(method) && SieveMailto.Parse(method).Error is { } error)
        {
            throw Error(command, $"notify: {error}");
        }

        if (arguments.Has("importance") && SieveArguments.Single("notify", arguments.Parameter("importance")!) is var importance &&
            Literal(importance) && importance is not ("1" or "2" or "3"))
        {
            throw Error(command, $"notify: invalid :importance '{importance}' (1, 2 or 3)");
        }

        if (arguments.Has("from") && SieveArguments.Single("notify", arguments.Parameter("from")!) is var from && Literal(from) &&
            !SieveNotify.IsSender(from))
        {
            throw Error(command, $"notify: :from '{from}' is not an address");
        }

        if (arguments.Has("options"))
        {
            foreach (var option in SieveArguments.List("notify", arguments.Parameter("options")!).Where(Literal))
            {
                var equals = option.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || !char.IsAsciiLetter(option[0]) || !option[..equals].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
                {
                    throw Error(command, $"notify: invalid option '{option}' (name=value)");
                }
            }
        }
    }

    private static Dictionary<string, bool> Tags(params (string Name, bool Parameter)[] tags) =>
        tags.ToDictionary(t => t.Name, t => t.Parameter, StringComparer.Ordinal);

    private static SieveSyntaxException Error(SieveCommand command, string message) => new(message, command.Line, command.Column);

    /// <summary>RFC 5228 §2.4.2.4: <c>${hex:…}</c> and <c>${unicode:…}</c> in every string, decoded once at compile time.</summary>
    private static SieveCommand Decode(SieveCommand command) => command with
    {
        Arguments = command.Arguments.Select(DecodeArgument).ToList(),
        Tests = command.Tests.Select(DecodeTest).ToList(),
        Block = command.Block?.Select(Decode).ToList(),
    };

    private static SieveTest DecodeTest(SieveTest test) => test with
    {
        Arguments = test.Arguments.Select(DecodeArgument).ToList(),
        Tests = test.Tests.Select(DecodeTest).ToList(),
    };

    private static SieveArgument DecodeArgument(SieveArgument argument) =>
        argument is SieveStrings strings ? strings with { Values = strings.Values.Select(EncodedCharacters).ToList() } : argument;

    internal static string EncodedCharacters(string text) =>
        SieveSubstitution.Replace(text, inner =>
        {
            var colon = inner.IndexOf(':', StringComparison.Ordinal);
            var kind = colon < 0 ? string.Empty : inner[..colon].Trim().ToLowerInvariant();
            return kind is "hex" or "unicode" ? DecodeList(kind, inner[(colon + 1)..]) : null;
        });

    private static string? DecodeList(string kind, string list)
    {
        var parts = list.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (kind == "hex")
        {
            var bytes = new List<byte>();
            foreach (var part in parts)
            {
                if (part.Length is 0 or > 2 || !byte.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
                {
                    return null;
                }

                bytes.Add(b);
            }

            return Encoding.UTF8.GetString(bytes.ToArray());
        }

        var text = new StringBuilder();
        foreach (var part in parts)
        {
            if (part.Length > 6 || !int.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code) ||
                code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
            {
                return null;
            }

            text.Append(char.ConvertFromUtf32(code));
        }

        return text.ToString();
    }
}
