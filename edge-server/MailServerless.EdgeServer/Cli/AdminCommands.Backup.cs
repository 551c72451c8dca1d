using System.CommandLine;
using System.Data.Common;
using MailServerless.Core.Backup;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Cli;

/// <summary>
/// <c>admin backup ARCHIVE</c> and <c>admin restore ARCHIVE</c>: the SQLite directory (DKIM keys included), the Maildirs
/// and their UID lists in one tar. Neither opens the directory as the other verbs do: a backup reads it through SQLite's
/// own backup (and a MySQL one not at all), a restore makes it.
/// </summary>
public static partial class AdminCommands
{
    private static Command Backup(Verbs verbs, CliContext context)
    {
        var archive = Name("ARCHIVE", "The archive to write: a tar, gzip'd when the name ends in .gz (mode 0600: it holds password hashes and keys).");
        var force = Flag("--force", "Replace an existing archive of that name.");
        var command = new Command("backup",
            "Writes the directory (SQLite), the Maildirs with their UIDs, and the DKIM keys into one archive, while the server runs.")
        {
            archive, force,
        };
        command.SetAction((parse, cancellationToken) => MailServerlessCommandLine.GuardAsync(context, async () =>
        {
            await using var services = CliHost.Build(context.Settings);
            var options = services.GetRequiredService<MailOptions>();
            var summary = await RefusingAsync(() => BackupArchive.CreateAsync(
                parse.GetValue(archive)!, BackupLocations.From(options), options.EffectiveHostName, parse.GetValue(force), cancellationToken));
            await CliOutput.WriteAsync(context.Output, summary, parse.GetValue(verbs.Json));
            return 0;
        }));
        return command;
    }

    private static Command Restore(Verbs verbs, CliContext context)
    {
        var archive = Name("ARCHIVE", "An archive admin backup wrote (.tar or .tar.gz).");
        var force = Flag("--force", "Restore into a Maildir base that is not empty and over an existing directory database " +
                                    "(the archive's files replace those of the same name; nothing else is removed).");
        var command = new Command("restore",
            "Puts a backup back into the configured data directory and Maildir base, UIDs unchanged; the server must be stopped.")
        {
            archive, force,
        };
        command.SetAction((parse, cancellationToken) => MailServerlessCommandLine.GuardAsync(context, async () =>
        {
            await using var services = CliHost.Build(context.Settings);
            var options = services.GetRequiredService<MailOptions>();
            var summary = await RefusingAsync(() => BackupRestore.RestoreAsync(
                parse.GetValue(archive)!, BackupLocations.From(options), parse.GetValue(force), cancellationToken));
            if (Environment.IsPrivilegedProcess)
            {
                // The server runs as the mail's owner (vmail): root's files would be unreadable to it.
                await context.Error.WriteLineAsync(
                    $"warning: running as root, the restored files are root's: chown -R vmail: {options.EffectiveStorePath} " +
                    $"{options.EffectiveDataDirectory}, or run as the mail's owner (sudo -u vmail ...)");
            }

            await CliOutput.WriteAsync(context.Output, summary, parse.GetValue(verbs.Json));
            return 0;
        }));
        return command;
    }

    /// <summary>What can go wrong with a file or the archive, as one line and exit code 1 (<see cref="MailServerlessCommandLine.GuardAsync"/>).</summary>
    private static async Task<T> RefusingAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (BackupException e)
        {
            throw new CliException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or DbException)
        {
            // A full disk, a folder not ours, an archive cut short or corrupt, a database SQLite cannot read.
            throw new CliException(e.Message);
        }
    }
}
