using System.CommandLine;
using System.CommandLine.Parsing;
using MailServerless.Core.Accounts;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Hosting;
using MailServerless.EdgeServer.Hosting.Settings;

namespace MailServerless.EdgeServer.Cli;

/// <summary>
/// The program's command line: without a command it runs the server; <c>setup</c> prepares a directory;
/// <c>admin</c> manages it. Every command has <c>--help</c>/<c>-h</c> (which never starts anything), the program has
/// <c>--version</c>. Settings are given as <c>--Mail:Key=value</c> anywhere (<see cref="HostSettings"/>).
/// Exit codes (sysexits.h where it has one): 0 done, 1 refused (the reason on standard error), 2 a setting that
/// cannot work, 64 wrong usage (the nearest valid word named).
/// </summary>
public static class MailServerlessCommandLine
{
    public const int Refused = 1;
    public const int BadSetting = 2;
    public const int Usage = 64;

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        var (settings, words) = HostSettings.Split(args);
        var parse = CreateRoot(new CliContext(settings, input, output, error)).Parse(words);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            await error.WriteLineAsync(UsageError(parse));
            return Usage;
        }

        // No ProcessTerminationTimeout: SIGTERM and Ctrl+C are the host's to handle, whose stop lets messages being
        // delivered finish (Mail:Queue:ShutdownGrace); System.CommandLine would end the process after 2 s.
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
        });
    }

    /// <summary>The program's commands: the server (no command), <c>setup</c> and <c>admin</c>.</summary>
    public static RootCommand CreateRoot(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var root = new RootCommand("MailServerless: SMTP, IMAP and POP3 over a PostfixAdmin directory and Maildir. Without a command, runs the server.");
        root.SetAction((_, cancellationToken) => EdgeServerProgram.ServeAsync(context.Settings, context.Output, context.Error, cancellationToken));
        root.Subcommands.Add(SetupCommand.Create(context));
        root.Subcommands.Add(AdminCommands.Create(context));
        root.Subcommands.Add(Update.UpdateCommand.Create(context));
        return root;
    }

    /// <summary>One line: what was wrong, and the nearest option or command the user may have meant.</summary>
    private static string UsageError(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var path = string.Join(' ', Path(parse.CommandResult));
        // A word nothing took, or an option-like word an argument refused (RefusingOptions).
        var unmatched = parse.UnmatchedTokens.Count > 0 ? parse.UnmatchedTokens[0]
            : parse.Errors.Select(e => e.Message).FirstOrDefault(m => m.StartsWith(UnknownOptionPrefix, StringComparison.Ordinal))
                ?[UnknownOptionPrefix.Length..].TrimEnd('\'');
        if (unmatched is not null)
        {
            var candidates = unmatched.StartsWith('-')
                ? command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(Recursive(parse.CommandResult))
                : command.Subcommands.Select(c => c.Name);
            var kind = unmatched.StartsWith('-') ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
            var nearest = NearestName.Find(unmatched, candidates);
            return $"error: unknown {kind} '{unmatched}' for '{path}'" +
                   (nearest is not null ? $"; did you mean {nearest}?" : $"; see '{path} --help'");
        }

        return $"error: {parse.Errors[0].Message.TrimEnd('.')} ('{path}'; see '{path} --help')";
    }

    private static IEnumerable<string> Path(SymbolResult? result)
    {
        var names = new Stack<string>();
        for (var current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult { Command: var command })
            {
                names.Push(command is RootCommand ? "mailserverless" : command.Name);
            }
        }

        return names;
    }

    private const string UnknownOptionPrefix = "unknown option '";

    /// <summary>
    /// Makes <paramref name="argument"/> refuse a word that looks like an option: System.CommandLine would take an
    /// unknown <c>--quot</c> as the argument's value, and the command would then act on it.
    /// </summary>
    public static T RefusingOptions<T>(this T argument)
        where T : Argument
    {
        ArgumentNullException.ThrowIfNull(argument);
        argument.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault(t => t.Value.Length > 1 && t.Value[0] == '-') is { } token)
            {
                result.AddError($"{UnknownOptionPrefix}{token.Value}'");
            }
        });
        return argument;
    }

    /// <summary>Options that parent commands give to all their subcommands (<c>--json</c>, <c>--create</c>).</summary>
    private static IEnumerable<string> Recursive(CommandResult result)
    {
        for (var parent = result.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            foreach (var option in parent.Command.Options.Where(o => o.Recursive))
            {
                yield return option.Name;
            }
        }
    }

    /// <summary>
    /// Runs a command's work and turns what can go wrong into its exit code and one line on standard error.
    /// </summary>
    internal static async Task<int> GuardAsync(CliContext context, Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (e is SettingsException or DirectoryConfigurationException)
        {
            await context.Error.WriteLineAsync($"error: {e.Message}");
            return BadSetting;
        }
        catch (Exception e) when (e is AdministrationException or CliException or DirectoryUnavailableException)
        {
            await context.Error.WriteLineAsync($"error: {e.Message}");
            return Refused;
        }
    }
}

/// <summary>What every command shares: the settings given, and the program's standard streams.</summary>
public sealed record CliContext(string[] Settings, TextReader Input, TextWriter Output, TextWriter Error);
