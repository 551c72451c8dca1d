using System.Globalization;
using System.Text;
using MimeKit;

namespace MailServerless.Core.Sieve;

/// <summary>One run of a script on one message: the actions so far, the variables, the flags, and the step budget.</summary>
internal sealed class SieveRun(SieveMessage message, ISieveEnvironment environment, SieveLimits limits)
{
    private readonly List<SieveAction> _actions = [];
    private readonly Dictionary<string, string> _variables = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _matchValues = [];
    private readonly List<SieveAddedHeader> _addedHeaders = [];
    private readonly List<SieveDeletedHeader> _deletedHeaders = [];
    private List<string> _flags = [];
    private bool _implicitKeep = true;
    private bool _stopped;
    private int _steps;
    private int _redirects;

    private sealed class StopException : Exception;

    public SieveResult Result() => new(_actions, _implicitKeep, _flags.ToList(), null) { AddedHeaders = _addedHeaders, DeletedHeaders = _deletedHeaders };

    public bool Stopped => _stopped;

    public void Execute(IReadOnlyList<SieveCommand> commands, IReadOnlySet<string> extensions, int includeDepth)
    {
        try
        {
            Block(commands, extensions, includeDepth);
        }
        catch (StopException)
        {
            _stopped = true;
        }
    }

    private void Block(IReadOnlyList<SieveCommand> commands, IReadOnlySet<string> extensions, int includeDepth)
    {
        var conditionTaken = false;
        foreach (var command in commands)
        {
            Step();
            switch (command.Name)
            {
                case "require":
                    break;
                case "if":
                    conditionTaken = Test(command.Tests[0], extensions);
                    if (conditionTaken)
                    {
                        Block(command.Block!, extensions, includeDepth);
                    }

                    break;
                case "elsif":
                    if (!conditionTaken)
                    {
                        conditionTaken = Test(command.Tests[0], extensions);
                        if (conditionTaken)
                        {
                            Block(command.Block!, extensions, includeDepth);
                        }
                    }

                    break;
                case "else":
                    if (!conditionTaken)
                    {
                        Block(command.Block!, extensions, includeDepth);
                    }

                    break;
                default:
                    Action(command, extensions, includeDepth);
                    break;
            }
        }
    }

    private void Action(SieveCommand command, IReadOnlySet<string> extensions, int includeDepth)
    {
        var args = Arguments(command.Name, command.Arguments, extensions);
        string Text(int i) => Expand(SieveArguments.Single(command.Name, args.Positional[i]), extensions);
        switch (command.Name)
        {
            case "stop":
                throw new StopException();
            case "keep":
                Store("INBOX", FlagsFor(args, extensions), create: false);
                _implicitKeep = false;
                break;
            case "discard":
                if (!_actions.OfType<SieveDiscard>().Any())
                {
                    Add(new SieveDiscard());
                }

                _implicitKeep = false;
                break;
            case "fileinto":
                Store(Text(0), FlagsFor(args, extensions), args.Has("create"));
                _implicitKeep &= args.Has("copy");
                break;
            case "redirect":
            {
                var address = Text(0).Trim();
                if (!InternetAddressList.TryParse(address, out var list) || list.Mailboxes.Count() != 1 || list.Count != 1)
                {
                    throw new SieveRuntimeException($"redirect: '{address}' is not a valid address");
                }

                var target = list.Mailboxes.First().Address;
                // The same address twice is one redirect; a local part's case matters (RFC 5321 §2.4), a domain's does not.
                if (!_actions.OfType<SieveRedirect>().Any(r => SameAddress(r.Address, target)))
                {
                    if (++_redirects > limits.MaxRedirects)
                    {
                        throw new SieveRuntimeException($"more than {limits.MaxRedirects} redirects");
                    }

                    Add(new SieveRedirect(target));
                }

                _implicitKeep &= args.Has("copy");
                break;
            }

            case "reject":
            case "ereject":
                Add(new SieveReject(Text(0), command.Name == "ereject"));
                _implicitKeep = false;
                break;
            case "setflag":
            case "addflag":
            case "removeflag":
                Flags(command.Name, args, extensions);
                break;
            case "set":
                Set(command, args, extensions);
                break;
            case "vacation":
                Vacation(args, extensions, Text(0));
                break;
            case "addheader":
            {
                var name = Text(0);
                var value = Text(1);
                if (!IsHeaderName(name) || IsProtectedHeader(name))
                {
                    break; // RFC 5293 §3: a protected or invalid field name is not added (Pigeonhole: a warning)
                }

                _addedHeaders.Add(new SieveAddedHeader(name, value, args.Has("last")));
                break;
            }

            case "deleteheader":
                DeleteHeader(command, args, extensions);
                break;
            case "include":
                Include(args, extensions, includeDepth, Text(0));
                break;
            case "notify":
                Notify(args, extensions, Text(0));
                break;
            case "return":
                throw new StopException();
            case "global":
                break;
            default:
                throw new SieveRuntimeException($"unknown command {command.Name}");
        }
    }

    private void Include(SieveArguments args, IReadOnlySet<string> extensions, int includeDepth, string name)
    {
        if (includeDepth + 1 > limits.MaxIncludeDepth)
        {
            throw new SieveRuntimeException($"include nested deeper than {limits.MaxIncludeDepth}");
        }

        var text = environment.LoadScript(name, args.Has("global"));
        if (text is null)
        {
            if (args.Has("optional"))
            {
                return;
            }

            throw new SieveRuntimeException($"include: script '{name}' not found");
        }

        var included = SieveScript.Compile(text);
        var run = new SieveRun(message, environment, limits);
        // RFC 6609 §3.2: an included script runs with the same actions and flags; "return" ends it only.
        run._actions.AddRange(_actions);
        run._flags = _flags;
        run._implicitKeep = _implicitKeep;
        run._redirects = _redirects;
        run._steps = _steps;
        try
        {
            run.Block(included.Commands, included.Required, includeDepth + 1);
        }
        catch (StopException)
        {
        }

        _actions.Clear();
        _actions.AddRange(run._actions);
        _flags = run._flags;
        _implicitKeep = run._implicitKeep;
        _redirects = run._redirects;
        _steps = run._steps;
        if (run._stopped)
        {
            throw new StopException();
        }
    }

    private static bool SameAddress(string a, string b)
    {
        var (atA, atB) = (a.LastIndexOf('@'), b.LastIndexOf('@'));
        return atA >= 0 && atB >= 0
            ? string.Equals(a[..atA], b[..atB], StringComparison.Ordinal) && string.Equals(a[atA..], b[atB..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(a, b, StringComparison.Ordinal);
    }

    private void Store(string mailbox, IReadOnlyList<string> flags, bool create)
    {
        if (string.Equals(mailbox, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            mailbox = "INBOX";
        }

        var index = _actions.FindIndex(a => a is SieveStore s && s.Mailbox == mailbox);
        if (index >= 0)
        {
            // RFC 5228 §4.1: one copy per mailbox; the flags of the last action stand (as Pigeonhole merges them).
            var existing = (SieveStore)_actions[index];
            _actions[index] = existing with { Flags = existing.Flags.Union(flags, StringComparer.OrdinalIgnoreCase).ToList(), Create = existing.Create || create };
            return;
        }

        Add(new SieveStore(mailbox, flags.ToList(), create));
    }

    private void Add(SieveAction action)
    {
        if (_actions.Count >= limits.MaxActions)
        {
            throw new SieveRuntimeException($"more than {limits.MaxActions} actions");
        }

        _actions.Add(action);
    }

    private List<string> FlagsFor(SieveArguments args, IReadOnlySet<string> extensions) =>
        args.Has("flags")
            ? SplitFlags(SieveArguments.List("flags", args.Parameter("flags")!).Select(f => Expand(f, extensions)))
            : extensions.Contains("imap4flags") ? _flags.ToList() : [];

    private void Flags(string command, SieveArguments args, IReadOnlySet<string> extensions)
    {
        var positional = args.Positional;
        var variable = positional.Count == 2 ? Expand(SieveArguments.Single(command, positional[0]), extensions) : null;
        var values = SplitFlags(SieveArguments.List(command, positional[^1]).Select(f => Expand(f, extensions)));
        var current = variable is null ? _flags : SplitFlags([_variables.GetValueOrDefault(variable) ?? string.Empty]);
        current = command switch
        {
            "setflag" => values,
            "addflag" => current.Union(values, StringComparer.OrdinalIgnoreCase).ToList(),
            _ => current.Where(f => !values.Contains(f, StringComparer.OrdinalIgnoreCase)).ToList(),
        };
        if (variable is null)
        {
            _flags = current;
        }
        else
        {
            SetVariable(variable, string.Join(' ', current));
        }
    }

    private static List<string> SplitFlags(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    private void Set(SieveCommand command, SieveArguments args, IReadOnlySet<string> extensions)
    {
        var name = SieveArguments.Single("set", args.Positional[0]);
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new SieveSyntaxException($"set: '{name}' is not a variable name", command.Line, command.Column);
        }

        var value = Expand(SieveArguments.Single("set", args.Positional[1]), extensions);
        // RFC 5229 §4.1: modifiers apply in order of precedence, :lower/:upper first, :length last.
        if (args.Has("lower"))
        {
            value = value.ToLowerInvariant();
        }

        if (args.Has("upper"))
        {
            value = value.ToUpperInvariant();
        }

        if (args.Has("lowerfirst") && value.Length > 0)
        {
            value = char.ToLowerInvariant(value[0]) + value[1..];
        }

        if (args.Has("upperfirst") && value.Length > 0)
        {
            value = char.ToUpperInvariant(value[0]) + value[1..];
        }

        if (args.Has("quotewildcard"))
        {
            value = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal).Replace("?", "\\?", StringComparison.Ordinal);
        }

        if (args.Has("quoteregex"))
        {
            value = System.Text.RegularExpressions.Regex.Escape(value);
        }

        if (args.Has("encodeurl"))
        {
            value = Uri.EscapeDataString(value);
        }

        if (args.Has("length"))
        {
            value = new StringInfo(value).LengthInTextElements.ToString(CultureInfo.InvariantCulture);
        }

        SetVariable(name, value);
    }

    private void SetVariable(string name, string value)
    {
        if (!_variables.ContainsKey(name) && _variables.Count >= limits.MaxVariables)
        {
            throw new SieveRuntimeException($"more than {limits.MaxVariables} variables");
        }

        if (Encoding.UTF8.GetByteCount(value) > limits.MaxVariableSize)
        {
            // Pigeonhole truncates a value at the limit.
            var bytes = Encoding.UTF8.GetBytes(value);
            value = Encoding.UTF8.GetString(bytes, 0, limits.MaxVariableSize).TrimEnd('\uFFFD');
        }

        _variables[name] = value;
    }

    private void Vacation(SieveArguments args, IReadOnlySet<string> extensions, string reason)
    {
        string? Optional(string tag) => args.Has(tag) ? Expand(SieveArguments.Single("vacation", args.Parameter(tag)!), extensions) : null;
        // Pigeonhole's defaults: sieve_vacation_min_period 1 day, sieve_vacation_default_period 7 days, no maximum.
        long seconds = args.Has("seconds") ? SieveArguments.Number("vacation", args.Parameter("seconds")!)
            : args.Has("days") ? SieveArguments.Number("vacation", args.Parameter("days")!) * 86400 : 7 * 86400;
        seconds = seconds == 0 ? 0 : Math.Max(seconds, 86400);
        var addresses = args.Has("addresses") ? SieveArguments.List("vacation", args.Parameter("addresses")!).Select(a => Expand(a, extensions)).ToList() : [];
        var subject = Optional("subject");
        var from = Optional("from");
        var handle = Optional("handle") ?? reason + (subject ?? string.Empty) + (from ?? "<default-from>") + (args.Has("mime") ? "<MIME>" : "<NO-MIME>");
        if (_actions.OfType<SieveVacation>().Any())
        {
            throw new SieveRuntimeException("vacation: only one vacation action per script run");
        }

        Add(new SieveVacation(reason, subject, from, addresses, args.Has("mime"), handle, seconds));
    }

    /// <summary>
    /// RFC 5435 §3: checked again here, for what variables made. A recipient an earlier notify already tells is not told
    /// twice (§3.8); a notify left with none is dropped.
    /// </summary>
    private void Notify(SieveArguments args, IReadOnlySet<string> extensions, string method)
    {
        string? Optional(string tag) => args.Has(tag) ? Expand(SieveArguments.Single("notify", args.Parameter(tag)!), extensions) : null;
        var (mailto, error) = SieveMailto.Parse(method);
        if (mailto is null)
        {
            throw new SieveRuntimeException($"notify: {error}");
        }

        var importance = Optional("importance") ?? "2";
        if (importance is not ("1" or "2" or "3"))
        {
            throw new SieveRuntimeException($"notify: invalid :importance '{importance}'");
        }

        var from = Optional("from");
        if (from is not null && !SieveNotify.IsSender(from))
        {
            throw new SieveRuntimeException($"notify: :from '{from}' is not an address");
        }

        var told = _actions.OfType<SieveNotify>().SelectMany(n => n.Mailto.To.Concat(n.Mailto.Cc)).ToList();
        var to = mailto.To.Where(a => !told.Any(t => SameAddress(t, a))).ToList();
        var cc = mailto.Cc.Where(a => !told.Any(t => SameAddress(t, a))).ToList();
        if (to.Count + cc.Count == 0)
        {
            return;
        }

        Add(new SieveNotify(method, mailto with { To = to, Cc = cc }, from, importance[0] - '0', Optional("message")));
    }

    private void DeleteHeader(SieveCommand command, SieveArguments args, IReadOnlySet<string> extensions)
    {
        var name = Expand(SieveArguments.Single("deleteheader", args.Positional[0]), extensions);
        if (IsProtectedHeader(name))
        {
            return;
        }

        var patterns = args.Positional.Count > 1 ? SieveArguments.List("deleteheader", args.Positional[1]).Select(p => Expand(p, extensions)).ToList() : null;
        var match = args.Match(command.Name, s => Expand(s, extensions));
        var fields = HeaderFieldEntries(name);
        var index = args.Has("index") ? (int)SieveArguments.Number("deleteheader", args.Parameter("index")!) : 0;
        for (var i = 0; i < fields.Count; i++)
        {
            var position = args.Has("last") ? fields.Count - 1 - i : i;
            if (index > 0 && i + 1 != index)
            {
                continue;
            }

            if (patterns is null || match.Test([fields[position].Value], patterns, null))
            {
                // A field an earlier addheader made is taken back; one the message came with is marked deleted.
                if (fields[position].Added is { } added)
                {
                    _addedHeaders.Remove(added);
                }
                else
                {
                    _deletedHeaders.Add(new SieveDeletedHeader(name, fields[position].Original));
                }
            }
        }
    }

    /// <summary>RFC 5293 §4.6: Received and Auto-Submitted may not be added or deleted.</summary>
    private static bool IsProtectedHeader(string name) =>
        name.Equals("Received", StringComparison.OrdinalIgnoreCase) || name.Equals("Auto-Submitted", StringComparison.OrdinalIgnoreCase);

    private static bool IsHeaderName(string name) => name.Length > 0 && name.All(c => c is > ' ' and < (char)127 and not ':');

    // ------------------------------------------------------------------ tests --

    private bool Test(SieveTest test, IReadOnlySet<string> extensions)
    {
        Step();
        var args = Arguments(test.Name, test.Arguments, extensions);
        IReadOnlyList<string> Keys(int i) => SieveArguments.List(test.Name, args.Positional[i]).Select(k => Expand(k, extensions)).ToList();
        switch (test.Name)
        {
            case "true":
                return true;
            case "false":
                return false;
            case "not":
                return !Test(test.Tests[0], extensions);
            case "allof":
                return test.Tests.All(t => Test(t, extensions));
            case "anyof":
                return test.Tests.Any(t => Test(t, extensions));
            case "exists":
                return Keys(0).All(name => HeaderFields(name).Count > 0);
            case "size":
            {
                var limit = SieveArguments.Number("size", args.Positional[0]);
                return args.Has("over") ? message.Size > limit : args.Has("under") ? message.Size < limit
                    : throw new SieveSyntaxException("size needs :over or :under", test.Line, test.Column);
            }

            case "header":
            {
                var match = args.Match(test.Name, s => Expand(s, extensions));
                var values = Keys(0).SelectMany(name => Indexed(HeaderFields(name), args)).ToList();
                return Matches(match, values, Keys(1), extensions);
            }

            case "address":
            {
                var match = args.Match(test.Name, s => Expand(s, extensions));
                var values = Keys(0).SelectMany(name => Indexed(HeaderFields(name), args).SelectMany(Addresses))
                    .Select(a => AddressPart(a, args)).OfType<string>().ToList();
                return Matches(match, values, Keys(1), extensions);
            }

            case "envelope":
            {
                var match = args.Match(test.Name, s => Expand(s, extensions));
                var values = new List<string>();
                foreach (var part in Keys(0))
                {
                    var address = part.ToLowerInvariant() switch
                    {
                        "from" => message.EnvelopeFrom,
                        "to" => message.EnvelopeTo,
                        _ => null,
                    };
                    if (address is not null && (address.Length > 0 || args.Has("all") || !args.Has("localpart") && !args.Has("domain") && !args.Has("user") && !args.Has("detail")))
                    {
                        if (AddressPart(address, args) is { } value)
                        {
                            values.Add(value);
                        }
                    }
                }

                return Matches(match, values, Keys(1), extensions);
            }

            case "body":
                return Matches(args.Match(test.Name, s => Expand(s, extensions)), BodyValues(args, extensions), Keys(0), extensions);
            case "string":
                return Matches(args.Match(test.Name, s => Expand(s, extensions)), Keys(0), Keys(1), extensions, emptyCounts: false);
            case "hasflag":
            {
                var flags = args.Positional.Count == 2
                    ? SplitFlags(Keys(0).Select(v => _variables.GetValueOrDefault(v) ?? string.Empty))
                    : _flags;
                return Matches(args.Match(test.Name, s => Expand(s, extensions)), flags, Keys(args.Positional.Count - 1), extensions);
            }

            case "mailboxexists":
                return Keys(0).All(environment.MailboxExists);
            case "date":
            case "currentdate":
                return DateTest(test, args, extensions);
            case "spamtest":
            {
                var value = SpamValue(args.Has("percent"));
                return Matches(args.Match(test.Name, s => Expand(s, extensions)), [value], Keys(0), extensions);
            }

            case "virustest":
                return Matches(args.Match(test.Name, s => Expand(s, extensions)), ["0"], Keys(0), extensions);
            case "valid_notify_method":
                return Keys(0).All(uri => SieveMailto.Parse(uri).Uri is not null);
            case "notify_method_capability":
            {
                // RFC 5436 §2.5: whether a mailto recipient is online cannot be known: "maybe".
                var uri = Expand(SieveArguments.Single(test.Name, args.Positional[0]), extensions);
                var capability = Expand(SieveArguments.Single(test.Name, args.Positional[1]), extensions);
                if (SieveMailto.Parse(uri).Uri is null)
                {
                    return false;
                }

                IReadOnlyList<string> values = capability.Equals("online", StringComparison.OrdinalIgnoreCase) ? ["maybe"] : [];
                return Matches(args.Match(test.Name, s => Expand(s, extensions)), values, Keys(2), extensions);
            }

            case "duplicate":
            {
                var id = args.Has("uniqueid") ? Expand(SieveArguments.Single("duplicate", args.Parameter("uniqueid")!), extensions)
                    : HeaderFields(args.Has("header") ? Expand(SieveArguments.Single("duplicate", args.Parameter("header")!), extensions) : "Message-ID").FirstOrDefault();
                if (id is null)
                {
                    return false;
                }

                var handle = args.Has("handle") ? Expand(SieveArguments.Single("duplicate", args.Parameter("handle")!), extensions) : string.Empty;
                var key = handle + "\0" + id;
                var seconds = args.Has("seconds") ? SieveArguments.Number("duplicate", args.Parameter("seconds")!) : 7 * 86400;
                if (!_actions.OfType<SieveTrackDuplicate>().Any(t => t.Id == key))
                {
                    Add(new SieveTrackDuplicate(key, seconds));
                }

                return environment.IsDuplicate(key);
            }

            default:
                throw new SieveRuntimeException($"unknown test {test.Name}");
        }
    }

    private bool Matches(SieveMatch match, IReadOnlyList<string> values, IReadOnlyList<string> keys, IReadOnlySet<string> extensions, bool emptyCounts = true)
    {
        var captures = extensions.Contains("variables") && match.Type is "matches" or "regex" ? new List<string>() : null;
        var counted = match.Type == "count" && !emptyCounts ? values.Where(v => v.Length > 0).ToList() : values;
        var result = match.Test(counted, keys, captures);
        if (result && captures is not null)
        {
            _matchValues.Clear();
            _matchValues.AddRange(captures.Take(10));
        }

        return result;
    }

    private static IEnumerable<string> Indexed(IReadOnlyList<string> fields, SieveArguments args)
    {
        if (!args.Has("index"))
        {
            return fields;
        }

        var index = (int)SieveArguments.Number("index", args.Parameter("index")!);
        var position = args.Has("last") ? fields.Count - index : index - 1;
        return position >= 0 && position < fields.Count ? [fields[position]] : [];
    }

    /// <summary>The values of a header field, decoded (RFC 2047) and unfolded, with the edits made so far applied.</summary>
    private List<string> HeaderFields(string name) => HeaderFieldEntries(name).ConvertAll(f => f.Value);

    /// <summary>
    /// The fields of a name in order, as editheader leaves them so far: the added ones at the top (the latest first),
    /// the message's own (with their position among the message's fields of that name) less the deleted, the added
    /// with <c>:last</c> at the end (RFC 5293 §4).
    /// </summary>
    private List<(string Value, SieveAddedHeader? Added, int Original)> HeaderFieldEntries(string name)
    {
        var fields = new List<(string Value, SieveAddedHeader? Added, int Original)>();
        foreach (var added in _addedHeaders)
        {
            if (!added.Last && added.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                fields.Insert(0, (added.Value, added, -1));
            }
        }

        var position = 0;
        foreach (var header in message.Message.Headers)
        {
            if (!header.Field.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var index = position++;
            if (!_deletedHeaders.Any(d => d.Name.Equals(name, StringComparison.OrdinalIgnoreCase) && d.Index == index))
            {
                fields.Add((Unfold(header.Value), null, index));
            }
        }

        fields.AddRange(_addedHeaders.Where(h => h.Last && h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => (h.Value, (SieveAddedHeader?)h, -1)));
        return fields;
    }

    private static string Unfold(string value) => value.Replace("\r\n", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal).Trim();

    private static IEnumerable<string> Addresses(string value) =>
        InternetAddressList.TryParse(value, out var list) ? list.Mailboxes.Select(m => m.Address) : [value];

    /// <summary>The part of an address a test looks at (§2.7.4, RFC 5233); null when it has none (no detail, say).</summary>
    private string? AddressPart(string address, SieveArguments args)
    {
        var at = address.LastIndexOf('@');
        var local = at < 0 ? address : address[..at];
        var domain = at < 0 ? string.Empty : address[(at + 1)..];
        var delimiter = local.IndexOfAny(limits.RecipientDelimiter.ToCharArray());
        if (args.Has("localpart"))
        {
            return local;
        }

        if (args.Has("domain"))
        {
            return domain;
        }

        if (args.Has("user"))
        {
            return delimiter < 0 ? local : local[..delimiter];
        }

        if (args.Has("detail"))
        {
            return delimiter < 0 ? null : local[(delimiter + 1)..];
        }

        return address;
    }

    private List<string> BodyValues(SieveArguments args, IReadOnlySet<string> extensions)
    {
        if (args.Has("raw"))
        {
            using var stream = new MemoryStream();
            message.Message.Body?.WriteTo(stream, contentOnly: true);
            return [Encoding.UTF8.GetString(stream.ToArray())];
        }

        var types = args.Has("content")
            ? SieveArguments.List("body", args.Parameter("content")!).Select(t => Expand(t, extensions).ToLowerInvariant()).ToList()
            : ["text"];
        var values = new List<string>();
        foreach (var part in message.Message.BodyParts.OfType<MimePart>())
        {
            var type = part.ContentType.MediaType.ToLowerInvariant();
            var subtype = part.ContentType.MediaSubtype.ToLowerInvariant();
            if (!types.Any(t => t.Length == 0 || t == type || t == type + "/" + subtype))
            {
                continue;
            }

            if (part is TextPart text)
            {
                values.Add(subtype == "html" && !args.Has("content") ? StripTags(text.Text) : text.Text);
            }
            else if (args.Has("content"))
            {
                using var stream = new MemoryStream();
                part.Content?.DecodeTo(stream);
                values.Add(Encoding.UTF8.GetString(stream.ToArray()));
            }
        }

        return values;
    }

    private static string StripTags(string html) => System.Text.RegularExpressions.Regex.Replace(html, "<[^>]*>", " ", System.Text.RegularExpressions.RegexOptions.NonBacktracking);

    private bool DateTest(SieveTest test, SieveArguments args, IReadOnlySet<string> extensions)
    {
        var match = args.Match(test.Name, s => Expand(s, extensions));
        var keyIndex = test.Name == "date" ? 2 : 1;
        var partIndex = keyIndex - 1;
        var part = Expand(SieveArguments.Single(test.Name, args.Positional[partIndex]), extensions).ToLowerInvariant();
        var dates = new List<DateTimeOffset>();
        if (test.Name == "currentdate")
        {
            dates.Add(message.Now);
        }
        else
        {
            var name = Expand(SieveArguments.Single("date", args.Positional[0]), extensions);
            foreach (var value in Indexed(HeaderFields(name), args))
            {
                var text = name.Equals("received", StringComparison.OrdinalIgnoreCase) && value.LastIndexOf(';') is var semi and >= 0 ? value[(semi + 1)..] : value;
                if (MimeKit.Utils.DateUtils.TryParse(text, out var date))
                {
                    dates.Add(date);
                }
            }
        }

        if (args.Has("zone"))
        {
            var zone = Expand(SieveArguments.Single(test.Name, args.Parameter("zone")!), extensions);
            if (TryZone(zone, out var offset))
            {
                dates = dates.Select(d => d.ToOffset(offset)).ToList();
            }
        }
        else if (!args.Has("originalzone"))
        {
            dates = dates.Select(d => d.ToOffset(TimeZoneInfo.Local.GetUtcOffset(d))).ToList();
        }

        var values = dates.Select(d => DatePart(d, part)).OfType<string>().ToList();
        var keys = SieveArguments.List(test.Name, args.Positional[keyIndex]).Select(k => Expand(k, extensions)).ToList();
        return Matches(match, values, keys, extensions);
    }

    private static bool TryZone(string zone, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (zone.Length != 5 || zone[0] is not ('+' or '-') || !int.TryParse(zone.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var hhmm))
        {
            return false;
        }

        offset = new TimeSpan(hhmm / 100, hhmm % 100, 0) * (zone[0] == '-' ? -1 : 1);
        return true;
    }

    /// <summary>RFC 5260 §4.2's date parts.</summary>
    private static string? DatePart(DateTimeOffset d, string part)
    {
        var culture = CultureInfo.InvariantCulture;
        var zone = (d.Offset < TimeSpan.Zero ? "-" : "+") + d.Offset.Duration().ToString("hhmm", culture);
        return part switch
        {
            "year" => d.ToString("yyyy", culture),
            "month" => d.ToString("MM", culture),
            "day" => d.ToString("dd", culture),
            "date" => d.ToString("yyyy-MM-dd", culture),
            "julian" => ((long)Math.Floor((d.Date - new DateTime(1858, 11, 17)).TotalDays)).ToString(culture),
            "hour" => d.ToString("HH", culture),
            "minute" => d.ToString("mm", culture),
            "second" => d.ToString("ss", culture),
            "time" => d.ToString("HH:mm:ss", culture),
            "iso8601" => d.ToString("yyyy-MM-dd'T'HH:mm:ss", culture) + (d.Offset == TimeSpan.Zero ? "Z" : d.ToString("zzz", culture)),
            "std11" => MimeKit.Utils.DateUtils.FormatDate(d),
            "zone" => zone,
            "weekday" => ((int)d.DayOfWeek).ToString(culture),
            _ => null,
        };
    }

    /// <summary>RFC 5235: 0 when not tested, else 1 (not spam) to 10 (spam) from the score, or a percentage.</summary>
    private string SpamValue(bool percent)
    {
        if (message.SpamScore is not { } score)
        {
            return "0";
        }

        const double max = 10;
        var fraction = Math.Clamp(score / max, 0, 1);
        return percent
            ? ((int)Math.Floor(fraction * 100)).ToString(CultureInfo.InvariantCulture)
            : (1 + (int)Math.Floor(fraction * 9)).ToString(CultureInfo.InvariantCulture);
    }

    private static SieveArguments Arguments(string owner, IReadOnlyList<SieveArgument> arguments, IReadOnlySet<string> extensions) =>
        new(owner, arguments, AllTags, new HashSet<string>(extensions, StringComparer.Ordinal));

    /// <summary>Every tag any command takes (the compile step already checked which belong where).</summary>
    private static readonly Dictionary<string, bool> AllTags = new(StringComparer.Ordinal)
    {
        ["is"] = false, ["contains"] = false, ["matches"] = false, ["regex"] = false, ["count"] = true, ["value"] = true, ["comparator"] = true,
        ["all"] = false, ["localpart"] = false, ["domain"] = false, ["user"] = false, ["detail"] = false, ["index"] = true, ["last"] = false,
        ["over"] = false, ["under"] = false, ["raw"] = false, ["content"] = true, ["text"] = false, ["zone"] = true, ["originalzone"] = false,
        ["percent"] = false, ["handle"] = true, ["header"] = true, ["uniqueid"] = true, ["seconds"] = true, ["days"] = true, ["subject"] = true,
        ["from"] = true, ["addresses"] = true, ["mime"] = false, ["copy"] = false, ["flags"] = true, ["create"] = false, ["lower"] = false,
        ["upper"] = false, ["lowerfirst"] = false, ["upperfirst"] = false, ["quotewildcard"] = false, ["quoteregex"] = false, ["length"] = false,
        ["encodeurl"] = false, ["personal"] = false, ["global"] = false, ["once"] = false, ["optional"] = false,
        ["importance"] = true, ["options"] = true, ["message"] = true,
    };

    /// <summary>RFC 5229 §3: <c>${name}</c> and <c>${N}</c> in a string, when the script requires variables.</summary>
    private string Expand(string text, IReadOnlySet<string> extensions) =>
        !extensions.Contains("variables") ? text : SieveSubstitution.Replace(text, name =>
            name.Length > 0 && name.All(char.IsAsciiDigit)
                ? int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < _matchValues.Count ? _matchValues[index] : string.Empty
                : name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.')
                    ? _variables.GetValueOrDefault(name) ?? string.Empty
                    : null);

    private void Step()
    {
        if (++_steps > limits.MaxSteps)
        {
            throw new SieveRuntimeException($"more than {limits.MaxSteps} steps");
        }
    }
}
