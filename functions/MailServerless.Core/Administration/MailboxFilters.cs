using System.Globalization;
using System.Text;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Addresses;
using MailServerless.Core.Configuration;
using MailServerless.Core.Sieve;
using MailServerless.Core.Storage;

namespace MailServerless.Core.Administration;

/// <summary>One rule of a simple filter set: when a header contains a text, file into a folder, forward, or discard.</summary>
public sealed record FilterRule(string Header, string Contains, string? Folder = null, string? ForwardTo = null, bool Discard = false);

/// <summary>A vacation reply of a filter set (a Sieve <c>vacation</c>).</summary>
public sealed record FilterVacation(string Subject, string Body, int Days = 7);

/// <summary>A simple filter set: rules in order (the first that matches decides), forwarding, and a vacation reply.</summary>
public sealed record FilterSetInput(IReadOnlyList<FilterRule>? Rules = null, string? ForwardTo = null, bool KeepCopy = true, FilterVacation? Vacation = null);

/// <summary>A mailbox's Sieve scripts: their names, the active one and its text.</summary>
public sealed record FiltersView(string Address, IReadOnlyList<string> Scripts, string? ActiveScript, string? ActiveText);

/// <summary>
/// A mailbox's Sieve filters for the admin API and the CLI: read the active script, or set a simple filter set, which
/// is written as the script <c>managed</c> in <c>~/sieve</c> and made active (as ManageSieve would), so every client
/// sees it. Mailbox admins may do this within their domains, as with vacation.
/// </summary>
public sealed partial class MailboxFilters(DirectoryDatabase database, AdministrationLog log, MailOptions mail)
{
    public const string ManagedScript = "managed";

    /// <summary>The first line of every managed script: how <see cref="Read"/> knows one.</summary>
    private const string ManagedHeader = "# Written by the admin API (the \"managed\" filter set). Changes made here are replaced when it is set again.\r\n";

    public async Task<FiltersView> GetAsync(AdminActor actor, string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var (mailbox, store) = await OpenAsync(actor, address, cancellationToken);
        return View(mailbox.Address, store);
    }

    /// <exception cref="AdministrationException">The set is not valid (a bad header name, folder or address).</exception>
    public async Task<FiltersView> SetAsync(AdminActor actor, string address, FilterSetInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var (mailbox, store) = await OpenAsync(actor, address, cancellationToken);
        var script = Script(input);
        try
        {
            _ = SieveScript.Compile(script);
        }
        catch (SieveSyntaxException e)
        {
            throw AdministrationException.Invalid("rules", $"The filters do not make a valid script: {e.Message}");
        }

        store.Write(ManagedScript, script);
        store.Activate(ManagedScript);
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            await log.WriteAsync(connection, null, actor, mailbox.Domain, "edit_sieve", mailbox.Address, cancellationToken);
        }

        return View(mailbox.Address, store);
    }

    /// <summary>The Sieve text of a filter set.</summary>
    public static string Script(FilterSetInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var text = new StringBuilder(ManagedHeader);
        text.Append("require [\"fileinto\", \"mailbox\", \"copy\", \"vacation\"];\r\n");
        var rules = input.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var field = $"rules[{i}]";
            if (rule.Header.Length == 0 || !rule.Header.All(c => c is > ' ' and < (char)127 and not ':'))
            {
                throw AdministrationException.Invalid(field + ".header", "A header field name: printable ASCII, no colon.");
            }

            var actions = (rule.Folder is not null ? 1 : 0) + (rule.ForwardTo is not null ? 1 : 0) + (rule.Discard ? 1 : 0);
            if (actions != 1)
            {
                throw AdministrationException.Invalid(field, "Each rule does one thing: folder, forwardTo or discard.");
            }

            string action;
            if (rule.Folder is { } folder)
            {
                if (!MaildirLayout.IsValidFolderName(folder, out var reason))
                {
                    throw AdministrationException.Invalid(field + ".folder", reason);
                }

                action = $"fileinto :create {Quote(folder)};";
            }
            else if (rule.ForwardTo is { } target)
            {
                action = $"redirect {Quote(Address(target, field + ".forwardTo"))};";
            }
            else
            {
                action = "discard;";
            }

            text.Append(CultureInfo.InvariantCulture, $"if header :contains {Quote(rule.Header)} {Quote(rule.Contains)} {{ {action} stop; }}\r\n");
        }

        if (input.ForwardTo is { } forward)
        {
            text.Append(CultureInfo.InvariantCulture, $"redirect {(input.KeepCopy ? ":copy " : string.Empty)}{Quote(Address(forward, "forwardTo"))};\r\n");
        }

        if (input.Vacation is { } vacation)
        {
            if (vacation.Subject.Length is 0 or > 255 || vacation.Subject.Any(char.IsControl))
            {
                throw AdministrationException.Invalid("vacation.subject", "A subject of 1 to 255 characters, on one line.");
            }

            if (vacation.Days is < 1 or > 365)
            {
                throw AdministrationException.Invalid("vacation.days", "Between 1 and 365 days.");
            }

            text.Append(CultureInfo.InvariantCulture, $"vacation :days {vacation.Days} :subject {Quote(vacation.Subject)} {Quote(vacation.Body)};\r\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// The filter set a managed script was written from (<see cref="Script"/>), read back so that it can be edited; null
    /// for any other script (one uploaded over ManageSieve, or none).
    /// </summary>
    public static FilterSetInput? Read(string? text)
    {
        if (text is null || !text.StartsWith(ManagedHeader, StringComparison.Ordinal))
        {
            return null;
        }

        var rules = RuleLine().Matches(text).Select(m => new FilterRule(
            Unquote(m.Groups["header"].Value), Unquote(m.Groups["contains"].Value),
            Folder: m.Groups["folder"].Success ? Unquote(m.Groups["folder"].Value) : null,
            ForwardTo: m.Groups["forward"].Success ? Unquote(m.Groups["forward"].Value) : null,
            Discard: m.Groups["discard"].Success)).ToList();
        var forward = ForwardLine().Match(text);
        var vacation = VacationLine().Match(text);
        return new FilterSetInput(
            rules,
            forward.Success ? Unquote(forward.Groups["to"].Value) : null,
            !forward.Success || forward.Groups["copy"].Success,
            vacation.Success
                ? new FilterVacation(Unquote(vacation.Groups["subject"].Value), Unquote(vacation.Groups["body"].Value), int.Parse(vacation.Groups["days"].Value, CultureInfo.InvariantCulture))
                : null);
    }

    private const string QuotedText = """(?:\\.|[^"\\])*""";

    [System.Text.RegularExpressions.GeneratedRegex(
        """^if header :contains "(?<header>""" + QuotedText + """)" "(?<contains>""" + QuotedText + """)" \{ (?:fileinto :create "(?<folder>""" + QuotedText +
        """)"|redirect "(?<forward>""" + QuotedText + """)"|(?<discard>discard)); stop; \}\r?$""", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex RuleLine();

    [System.Text.RegularExpressions.GeneratedRegex("""^redirect (?<copy>:copy )?"(?<to>""" + QuotedText + """)";\r?$""", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex ForwardLine();

    [System.Text.RegularExpressions.GeneratedRegex(
        """^vacation :days (?<days>[0-9]{1,3}) :subject "(?<subject>""" + QuotedText + """)" "(?<body>""" + QuotedText + """)";""", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex VacationLine();

    /// <summary>A Sieve quoted string's content with its escapes undone (RFC 5228 §2.4.2).</summary>
    private static string Unquote(string quoted) => System.Text.RegularExpressions.Regex.Replace(quoted, """\\(.)""", "$1", System.Text.RegularExpressions.RegexOptions.Singleline);

    private static string Address(string value, string field) =>
        EmailAddress.TryParse(value.Trim(), out var parsed) ? parsed.Value : throw AdministrationException.Invalid(field, $"'{value}' is not an email address.");

    /// <summary>A Sieve quoted string (RFC 5228 §2.4.2): backslash and double quote escaped.</summary>
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static FiltersView View(string address, SieveScriptStore store)
    {
        var active = store.ActiveName();
        return new FiltersView(address, store.List().Select(s => s.Name).ToList(), active, active is null ? null : store.Read(active));
    }

    private async Task<(MailboxView Mailbox, SieveScriptStore Store)> OpenAsync(AdminActor actor, string address, CancellationToken cancellationToken)
    {
        var parsed = DirectoryNames.Address(address, "address");
        actor.EnsureCanManageMailbox(parsed.Value, parsed.Domain);
        await using var connection = await database.OpenAsync(cancellationToken);
        var mailbox = await Mailboxes.FindAsync(connection, null, parsed.Value, cancellationToken) ?? throw AdministrationException.NotFound($"No mailbox {parsed.Value}.");
        if (!Accounts.MaildirPath.IsValid(mailbox.Maildir, out var reason))
        {
            throw AdministrationException.Conflict($"The mailbox's maildir cannot be used: {reason}");
        }

        return (mailbox, new SieveScriptStore(MaildirLayout.MailboxRoot(mail.EffectiveStorePath, mailbox.Maildir)));
    }
}
