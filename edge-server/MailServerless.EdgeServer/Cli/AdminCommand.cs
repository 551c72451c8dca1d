using System.Globalization;
using System.Text.Json;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Administration;
using MailServerless.Core.Storage;
using MailServerless.Functions;

namespace MailServerless.EdgeServer.Cli;

/// <summary>
/// <c>admin RESOURCE VERB ...</c>: what the admin API does, on the directory directly (like
/// <c>postfixadmin-cli</c>), so it also bootstraps a fresh install and runs in scripts. Passwords are read
/// from the first line of standard input. It acts as the first superadmin (logged as "… (cli)").
/// Exit codes: 0 done, 1 refused (the reason on standard error), 64 usage.
/// </summary>
public static class AdminCommand
{
    public const string Usage = """
        usage: admin domain add DOMAIN [--description TEXT] [--mailboxes N] [--aliases N] [--max-quota MB] [--quota MB] [--backup-mx]
               admin domain list | show DOMAIN | delete DOMAIN [--cascade] [--remove-maildirs]
               admin mailbox add ADDRESS [--name TEXT] [--quota BYTES]        (password on standard input)
               admin mailbox list [--domain DOMAIN] | show ADDRESS | password ADDRESS | delete ADDRESS [--remove-maildir]
               admin alias add ADDRESS TARGET... | list [--domain DOMAIN] | show ADDRESS | delete ADDRESS
               admin alias-domain add ALIAS-DOMAIN TARGET-DOMAIN | list | delete ALIAS-DOMAIN
               admin admin add USERNAME [--superadmin] [--domain DOMAIN]...  (password on standard input)
               admin admin list | delete USERNAME
               admin log [--domain DOMAIN] [--limit N]
        Add --json for JSON output.
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var (positional, options) = Split(args);
        if (positional.Count < 2 && !(positional.Count == 1 && positional[0] == "log"))
        {
            await error.WriteLineAsync(Usage);
            return 64;
        }

        var json = options.ContainsKey("json");
        try
        {
            var actor = await ActorAsync(services);
            var result = await RunCoreAsync(services, actor, positional, options, input);
            if (result is null)
            {
                await error.WriteLineAsync(Usage);
                return 64;
            }

            await output.WriteLineAsync(json ? JsonSerializer.Serialize(result, Json) : Describe(result));
            return 0;
        }
        catch (AdministrationException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 64;
        }
    }

    private static async Task<object?> RunCoreAsync(
        IServiceProvider services, AdminActor actor, List<string> words, Dictionary<string, List<string>> options, TextReader input)
    {
        string? One(string name) => options.TryGetValue(name, out var values) ? values[^1] : null;
        int? Int(string name) => One(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;
        long? Long(string name) => One(name) is { } value ? long.Parse(value, CultureInfo.InvariantCulture) : null;
        bool Flag(string name) => options.ContainsKey(name);
        var page = new PageRequest(0, Int("limit") ?? PageRequest.MaxLimit, One("domain"));
        var argument = words.Count > 2 ? words[2] : null;

        switch (words[0], words.Count > 1 ? words[1] : string.Empty)
        {
            case ("domain", "add") when argument is not null:
                return await services.GetRequiredService<Domains>().CreateAsync(actor, new DomainInput(
                    argument, One("description"), Int("aliases"), Int("mailboxes"), Long("max-quota"), Long("quota"), Flag("backup-mx")));
            case ("domain", "list"):
                return (await services.GetRequiredService<Domains>().ListAsync(actor, page)).Items;
            case ("domain", "show") when argument is not null:
                return await services.GetRequiredService<Domains>().GetAsync(actor, argument);
            case ("domain", "delete") when argument is not null:
                var provisioning = services.GetRequiredService<IMailboxProvisioning>();
                foreach (var maildir in await services.GetRequiredService<Domains>().DeleteAsync(actor, argument, Flag("cascade")))
                {
                    await provisioning.DeletedAsync(maildir, Flag("remove-maildirs"), CancellationToken.None);
                }

                return $"deleted {argument}";
            case ("mailbox", "add") when argument is not null:
                return await services.GetRequiredService<Mailboxes>().CreateAsync(actor, new MailboxInput(
                    argument, await PasswordAsync(input), One("name"), Long("quota")));
            case ("mailbox", "list"):
                return (await services.GetRequiredService<Mailboxes>().ListAsync(actor, page)).Items;
            case ("mailbox", "show") when argument is not null:
                return await services.GetRequiredService<Mailboxes>().GetAsync(actor, argument);
            case ("mailbox", "password") when argument is not null:
                return await services.GetRequiredService<Mailboxes>().UpdateAsync(actor, argument, new MailboxInput(Password: await PasswordAsync(input)));
            case ("mailbox", "delete") when argument is not null:
                await services.GetRequiredService<Mailboxes>().DeleteAsync(actor, argument, Flag("remove-maildir"));
                return $"deleted {argument}";
            case ("alias", "add") when argument is not null && words.Count > 3:
                return await services.GetRequiredService<Aliases>().CreateAsync(actor, new AliasInput(argument, words[3..]));
            case ("alias", "list"):
                return (await services.GetRequiredService<Aliases>().ListAsync(actor, page)).Items;
            case ("alias", "show") when argument is not null:
                return await services.GetRequiredService<Aliases>().GetAsync(actor, argument);
            case ("alias", "delete") when argument is not null:
                await services.GetRequiredService<Aliases>().DeleteAsync(actor, argument);
                return $"deleted {argument}";
            case ("alias-domain", "add") when argument is not null && words.Count > 3:
                return await services.GetRequiredService<AliasDomains>().CreateAsync(actor, new AliasDomainInput(argument, words[3]));
            case ("alias-domain", "list"):
                return (await services.GetRequiredService<AliasDomains>().ListAsync(actor, page)).Items;
            case ("alias-domain", "delete") when argument is not null:
                await services.GetRequiredService<AliasDomains>().DeleteAsync(actor, argument);
                return $"deleted {argument}";
            case ("admin", "add") when argument is not null:
                return await services.GetRequiredService<Admins>().CreateAsync(actor, new AdminInput(
                    argument, await PasswordAsync(input), Flag("superadmin"), options.GetValueOrDefault("domain") ?? []));
            case ("admin", "list"):
                return (await services.GetRequiredService<Admins>().ListAsync(actor, page)).Items;
            case ("admin", "delete") when argument is not null:
                await services.GetRequiredService<Admins>().DeleteAsync(actor, argument);
                return $"deleted {argument}";
            case ("log", _):
                return (await services.GetRequiredService<AdministrationLog>().ListAsync(actor, page with { Limit = Int("limit") ?? 20 })).Items;
            default:
                return null;
        }
    }

    /// <summary>The first active superadmin: the CLI acts (and is logged) as them; "cli" on a directory without one.</summary>
    private static async Task<AdminActor> ActorAsync(IServiceProvider services)
    {
        var database = services.GetRequiredService<DirectoryDatabase>();
        await services.GetRequiredService<SchemaInstaller>().EnsureSchemaAsync(CancellationToken.None);
        await using var connection = await database.OpenAsync();
        var superadmin = await connection.QueryFirstOrDefaultAsync<string>(
            "SELECT `username` FROM `admin` WHERE `superadmin` = 1 AND `active` = 1 ORDER BY `created`, `username`");
        return superadmin is null ? AdminActor.CommandLine : new AdminActor(superadmin, true, new HashSet<string>(), "cli");
    }

    private static async Task<string> PasswordAsync(TextReader input) =>
        (await input.ReadLineAsync())?.TrimEnd('\r') is { Length: > 0 } password
            ? password
            : throw AdministrationException.Invalid("password", "No password on standard input.");

    private static string Describe(object result) => result switch
    {
        string text => text,
        System.Collections.IEnumerable items and not string => string.Join('\n', items.Cast<object>().Select(Describe)),
        DomainView d => $"{d.Domain}\t{d.MailboxCount}/{d.Mailboxes} mailboxes\t{d.AliasCount}/{d.Aliases} aliases\t{(d.Active ? "active" : "inactive")}{(d.BackupMx ? "\tbackup MX" : string.Empty)}",
        MailboxView m => $"{m.Address}\t{m.Name}\tquota {m.Quota}\t{(m.Active ? "active" : "inactive")}\t{m.Maildir}",
        AliasView a => $"{a.Address}\t-> {string.Join(", ", a.Goto)}{(a.Active ? string.Empty : "\tinactive")}",
        AliasDomainView a => $"{a.AliasDomain}\t-> {a.TargetDomain}{(a.Active ? string.Empty : "\tinactive")}",
        AdminView a => $"{a.Username}\t{(a.Superadmin ? "superadmin" : string.Join(", ", a.Domains))}{(a.Active ? string.Empty : "\tinactive")}",
        LogEntry e => $"{e.Timestamp:yyyy-MM-dd HH:mm:ss}\t{e.Username}\t{e.Domain}\t{e.Action}\t{e.Data}",
        _ => result.ToString() ?? string.Empty,
    };

    /// <summary>Words, and <c>--name value</c> / <c>--flag</c> options (a value may repeat: <c>--domain a --domain b</c>).</summary>
    private static (List<string> Words, Dictionary<string, List<string>> Options) Split(string[] args)
    {
        var words = new List<string>();
        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string[] flags = ["json", "cascade", "remove-maildirs", "remove-maildir", "backup-mx", "superadmin"];
        for (var i = 0; i < args.Length; i++)
        {
            var equals = args[i].IndexOf('=', StringComparison.Ordinal);
            if (args[i].StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                if (args[i][..equals].Contains(':', StringComparison.Ordinal))
                {
                    continue; // a host setting such as --Mail:DataDirectory=..., read by the host's configuration
                }

                // --name=value is --name value.
                var key = args[i][2..equals];
                if (!options.TryGetValue(key, out var given))
                {
                    options[key] = given = [];
                }

                given.Add(args[i][(equals + 1)..]);
                continue;
            }

            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                words.Add(args[i]);
                continue;
            }

            var name = args[i][2..];
            var value = flags.Contains(name) || i + 1 >= args.Length ? string.Empty : args[++i];
            if (!options.TryGetValue(name, out var values))
            {
                options[name] = values = [];
            }

            values.Add(value);
        }

        return (words, options);
    }
}
