using System.CommandLine;
using System.CommandLine.Parsing;
using Dapper;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Administration;

namespace MailServerless.EdgeServer.Cli;

/// <summary>
/// <c>admin RESOURCE VERB ...</c>: what the admin API does, on the directory directly (like <c>postfixadmin-cli</c>),
/// so it also bootstraps a fresh install and runs in scripts. Passwords are read from the first line of standard
/// input. It acts as the first superadmin (logged as "… (cli)"). The resources are in the partial files beside this one.
/// </summary>
public static partial class AdminCommands
{
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var verbs = new Verbs(context);
        var admin = new Command("admin", "Manages the directory: domains, mailboxes, quotas, aliases, admins, vacations, forwarding, API keys, DKIM and the log; the mail queues; backups.")
        {
            verbs.Json,
            verbs.Create,
            Domains(verbs),
            Mailboxes(verbs),
            Quota(verbs),
            Queue(verbs, context),
            Certificate(verbs, context),
            Aliases(verbs),
            AliasDomains(verbs),
            Admins(verbs),
            Vacations(verbs),
            Filters(verbs),
            Forwarding(verbs),
            ApiKeys(verbs),
            Dkim(verbs),
            Log(verbs),
            Backup(verbs, context),
            Restore(verbs, context),
        };
        return admin;
    }

    private static Command Group(string name, string description, params Command[] verbs)
    {
        var group = new Command(name, description);
        foreach (var verb in verbs)
        {
            group.Subcommands.Add(verb);
        }

        return group;
    }

    /// <summary>Makes the verbs: each opens the directory, acts as the CLI's admin, and prints its answer.</summary>
    private sealed class Verbs(CliContext context)
    {
        public Option<bool> Json { get; } = new("--json") { Description = "Print the answer as JSON.", Recursive = true };

        public Option<bool> Create { get; } = new("--create")
        {
            Description = "Make the directory (data folder and tables) if there is none yet; without it a command refuses to.",
            Recursive = true,
        };

        public Command Verb(string name, string description, Func<Invocation, Task<object>> work, params Symbol[] symbols)
        {
            var command = new Command(name, description);
            foreach (var symbol in symbols)
            {
                switch (symbol)
                {
                    case Argument argument:
                        command.Arguments.Add(argument);
                        break;
                    case Option option:
                        command.Options.Add(option);
                        break;
                }
            }

            command.SetAction((parse, cancellationToken) => MailServerlessCommandLine.GuardAsync(context, async () =>
            {
                await using var services = CliHost.Build(context.Settings);
                await CliHost.OpenDirectoryAsync(services, parse.GetValue(Create), cancellationToken);
                var actor = await ActorAsync(services, cancellationToken);
                var result = await work(new Invocation(parse, services, actor, context.Input, cancellationToken));
                await CliOutput.WriteAsync(context.Output, result, parse.GetValue(Json));
                return 0;
            }));
            return command;
        }

        /// <summary><c>show KEY</c>: one item.</summary>
        public Command Show<T>(string description, Argument<string> key, Func<Invocation, string, Task<T>> get)
            where T : notnull => Verb("show", description, async run => await get(run, run.Value(key)), key);

        /// <summary><c>list [--domain D] [--limit N] [--offset N]</c>: one page of items.</summary>
        public Command List<T>(string description, Func<Invocation, PageRequest, Task<Page<T>>> list, bool byDomain = true)
        {
            var domain = DomainFilter();
            var limit = Limit();
            var offset = Offset();
            return Verb("list", description,
                async run => (await list(run, new PageRequest(run.Value(offset), run.Value(limit), byDomain ? run.Value(domain) : null))).Items,
                byDomain ? [domain, limit, offset] : [limit, offset]);
        }

        /// <summary><c>delete KEY</c>: answers "deleted KEY".</summary>
        public Command Delete(string description, Argument<string> key, Func<Invocation, string, Task> delete, params Symbol[] options) =>
            Verb("delete", description, async run =>
            {
                await delete(run, run.Value(key));
                return $"deleted {run.Value(key)}";
            }, [key, .. options]);
    }

    /// <summary>One run of a verb: what was typed, the services, and who acts.</summary>
    private sealed record Invocation(ParseResult Parse, IServiceProvider Services, AdminActor Actor, TextReader Input, CancellationToken Cancellation)
    {
        public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

        public T? Value<T>(Option<T> option) => Parse.GetValue(option);

        public T Value<T>(Argument<T> argument) => Parse.GetValue(argument)!;

        /// <summary>The first line of standard input: passwords never go on the command line, where <c>ps</c> shows them.</summary>
        public async Task<string> PasswordAsync() =>
            (await Input.ReadLineAsync(Cancellation))?.TrimEnd('\r') is { Length: > 0 } password
                ? password
                : throw AdministrationException.Invalid("password", "No password on standard input (give it as the first line).");
    }

    /// <summary>The first active superadmin: the CLI acts (and is logged) as them; "cli" on a directory without one.</summary>
    private static async Task<AdminActor> ActorAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        await services.GetRequiredService<AdminAuthenticator>().FirstSuperadminAsync(cancellationToken) ?? AdminActor.CommandLine;

    // ------------------------------------------------------------------ shared arguments and options --

    private static Argument<string> Name(string name, string description) => new Argument<string>(name) { Description = description }.RefusingOptions();

    private static Argument<string[]> Names(string name, string description, ArgumentArity arity) =>
        new Argument<string[]>(name) { Description = description, Arity = arity }.RefusingOptions();

    private static Option<string?> Text(string name, string description) => new(name) { Description = description };

    private static Option<int?> Count(string name, string description) => new(name) { Description = description };

    private static Option<bool?> Switch(string name, string description) => new(name) { Description = description + " (true or false)." };

    private static Option<bool> Flag(string name, string description, params string[] aliases) => new(name, aliases) { Description = description };

    /// <summary>A size in bytes: <c>102400000</c>, <c>100M</c>, <c>1G</c> (<see cref="Sizes"/>); refused at parse time with the reason.</summary>
    private static Option<long?> Bytes(string name, string description) => new(name)
    {
        Description = description + " Bytes, or with a unit: 100M, 1G (M is PostfixAdmin's 1,024,000 bytes).",
        CustomParser = result => Parse(result, text => Sizes.Bytes(text, name)),
    };

    /// <summary>A domain limit in PostfixAdmin's megabytes, written as a size (<c>2048M</c>, <c>1G</c>), 0 for unlimited.</summary>
    private static Option<long?> Megabytes(string name, string description, params string[] aliases) => new(name, aliases)
    {
        Description = description + " A size: 2048M, 1G (whole megabytes of 1,024,000 bytes, as PostfixAdmin counts); 0 unlimited.",
        CustomParser = result => Parse(result, text => Sizes.Megabytes(text, name)),
    };

    private static long? Parse(ArgumentResult result, Func<string, long> parse)
    {
        try
        {
            return parse(result.Tokens.Single().Value);
        }
        catch (AdministrationException e)
        {
            result.AddError(e.Message);
            return null;
        }
    }

    private static Option<int> Limit() => new("--limit") { Description = $"At most this many (1 to {PageRequest.MaxLimit}).", DefaultValueFactory = _ => 100 };

    private static Option<int> Offset() => new("--offset") { Description = "Skip this many first.", DefaultValueFactory = _ => 0 };

    private static Option<string?> DomainFilter() => new("--domain") { Description = "Only this domain's." };
}
