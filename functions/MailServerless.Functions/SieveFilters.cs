using System.Collections.Concurrent;
using MailServerless.Core.Sieve;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace MailServerless.Functions;

/// <summary>
/// The Sieve scripts that apply to a mailbox, where Pigeonhole keeps them: the active script is
/// <c>~/.dovecot.sieve</c> (a symbolic link into <c>~/sieve/</c>), with the mailbox's Maildir as its home; and the
/// global scripts around it: the default before-script (<see cref="DefaultBeforeScript"/>), <c>Mail:Sieve:Before</c> and <c>After</c>. Compiled scripts are kept while their file is
/// unchanged. A script that does not compile is skipped (the mail is kept) and the error written to
/// <c>~/.dovecot.sieve.log</c>, as Pigeonhole does. The cache is keyed by the script file the link leads to, so
/// activating another script is seen at the next delivery.
/// </summary>
public sealed partial class SieveFilters(SieveOptions options, ILogger<SieveFilters> logger)
{
    public const string ActiveScript = ".dovecot.sieve";
    public const string ScriptDirectory = "sieve";
    public const string LogFile = ".dovecot.sieve.log";

    /// <summary>
    /// The default before-script: the edge's junk verdict (<c>X-Spam: Yes</c>, which it writes itself and removes when a
    /// sender sent one) files the message into Junk (made if missing, as the edge's verdict always did) and ends filtering, so no personal rule
    /// or vacation acts on spam. Dovecot's documentation gives the same rule for <c>sieve_before</c>.
    /// </summary>
    public const string DefaultBeforeScript = """
        # MailServerless default sieve_before: mail judged spam at the MX goes into Junk.
        require ["fileinto", "mailbox"];
        if header :is "X-Spam" "Yes" {
          fileinto :create "Junk";
          stop;
        }

        """;

    private static readonly SieveScript DefaultBefore = SieveScript.Compile(DefaultBeforeScript);

    private readonly ConcurrentDictionary<string, (DateTime Written, long Length, SieveScript? Script)> _compiled = new(StringComparer.Ordinal);

    /// <summary>The scripts to run for the mailbox at <paramref name="mailboxRoot"/>, in order; empty when none applies.</summary>
    public IReadOnlyList<SieveScript> ScriptsFor(string mailboxRoot)
    {
        ArgumentNullException.ThrowIfNull(mailboxRoot);
        if (!options.Enabled)
        {
            return [];
        }

        var scripts = new List<SieveScript>();
        if (options.DefaultBefore)
        {
            scripts.Add(DefaultBefore);
        }

        if (options.Before.Length > 0 && Load(options.Before, null) is { } before)
        {
            scripts.Add(before);
        }

        var active = Path.Combine(mailboxRoot, ActiveScript);
        if (File.Exists(active) && Load(active, mailboxRoot) is { } personal)
        {
            scripts.Add(personal);
        }

        if (options.After.Length > 0 && Load(options.After, null) is { } after)
        {
            scripts.Add(after);
        }

        return scripts;
    }

    /// <summary>What a script may look at in this mailbox: its folders, and the scripts it may include.</summary>
    public ISieveEnvironment Environment(string mailboxRoot) => new MailboxEnvironment(mailboxRoot, options.GlobalDirectory);

    private SieveScript? Load(string path, string? home)
    {
        FileInfo file;
        try
        {
            file = new FileInfo(path);
            if (file.LinkTarget is not null)
            {
                file = (FileInfo?)file.ResolveLinkTarget(returnFinalTarget: true) ?? file;
            }

            if (!file.Exists)
            {
                return null;
            }
        }
        catch (IOException)
        {
            return null;
        }

        if (_compiled.TryGetValue(file.FullName, out var known) && known.Written == file.LastWriteTimeUtc && known.Length == file.Length)
        {
            return known.Script;
        }

        SieveScript? script = null;
        try
        {
            script = SieveScript.Compile(File.ReadAllText(file.FullName));
        }
        catch (SieveSyntaxException e)
        {
            LogCompileError(path, e.Message);
            if (home is not null)
            {
                UserLog(home, $"{file.Name}: {e.Message}");
            }
        }
        catch (IOException e)
        {
            LogCompileError(path, e.Message);
            return null;
        }

        _compiled[file.FullName] = (file.LastWriteTimeUtc, file.Length, script);
        return script;
    }

    /// <summary>Appends a line to the user's Sieve log (<c>~/.dovecot.sieve.log</c>), which mail clients may show.</summary>
    public static void UserLog(string mailboxRoot, string line)
    {
        ArgumentNullException.ThrowIfNull(mailboxRoot);
        try
        {
            File.AppendAllText(Path.Combine(mailboxRoot, LogFile), $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} {line}\n");
        }
        catch (IOException)
        {
            // The user's log is a courtesy; the server log has the error too.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(EventId = 5030, Level = LogLevel.Warning, Message = "sieve: {Path} does not compile, mail is kept: {Error}")]
    private partial void LogCompileError(string path, string error);

    /// <summary>The mailbox's folders for <c>mailboxexists</c>; <c>include</c> from <c>~/sieve</c> or the global directory.</summary>
    private sealed class MailboxEnvironment(string root, string globalDirectory) : ISieveEnvironment
    {
        public bool MailboxExists(string mailbox) =>
            MaildirLayout.IsInbox(mailbox) || MaildirLayout.ListFolders(root).Contains(mailbox, StringComparer.Ordinal);

        /// <summary>Seen before: recorded by an earlier delivery's <c>duplicate</c> (RFC 7352 §3: tracked once delivered).</summary>
        public bool IsDuplicate(string id) => SieveMemory.Contains(root, SieveMemory.DuplicateFile, id, DateTimeOffset.UtcNow);

        public string? LoadScript(string name, bool fromGlobalStore)
        {
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('.'))
            {
                return null; // a script name, never a path (RFC 6609 §3.2)
            }

            var directory = fromGlobalStore ? globalDirectory : Path.Combine(root, ScriptDirectory);
            var path = Path.Combine(directory, name + ".sieve");
            return directory.Length > 0 && File.Exists(path) ? File.ReadAllText(path) : null;
        }
    }
}
