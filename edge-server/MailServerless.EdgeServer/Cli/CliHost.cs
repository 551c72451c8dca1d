using Microsoft.Data.Sqlite;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Api;
using MailServerless.EdgeServer.Hosting;
using MailServerless.EdgeServer.Hosting.Settings;

namespace MailServerless.EdgeServer.Cli;

/// <summary>
/// The services a command works with: the server's settings from the same sources, the directory, the store and
/// the administration, without any listener. Logs go to standard error, so standard output is only the answer.
/// </summary>
public static class CliHost
{
    /// <exception cref="SettingsException">A setting is unknown or cannot work.</exception>
    public static ServiceProvider Build(string[] settings)
    {
        var configuration = new ConfigurationBuilder().AddMailSources(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging =>
        {
            // The server's log levels (appsettings.json's Logging section), all of it on standard error.
            logging.AddConfiguration(configuration.GetSection("Logging"));
            logging.AddSimpleConsole(console => console.SingleLine = true);
            logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(
                console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        services.AddMailSettings(configuration, EdgeSettings.Catalog);
        services.AddMailDirectory();
        services.AddMailDns();
        services.AddMailQueues();
        services.AddMailFunctions();
        // The running server owns the spool: a new mailbox's welcome mail goes straight into its Maildir.
        services.AddAdministration(deliverWelcomeDirectly: true);
        var provider = services.BuildServiceProvider();
        SettingsRegistration.ValidateAtStart(provider);
        return provider;
    }

    /// <summary>
    /// Opens the directory the server uses. A directory that does not exist yet is made (schema and data folder) only
    /// with <paramref name="create"/>: a command typed in the wrong folder must not leave an empty directory behind.
    /// </summary>
    /// <exception cref="CliException">There is no directory and <paramref name="create"/> is false.</exception>
    public static async Task OpenDirectoryAsync(IServiceProvider services, bool create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetRequiredService<MailOptions>();
        if (!create && options.Directory.IsSqlite)
        {
            var file = new SqliteConnectionStringBuilder(options.EffectiveDirectoryConnectionString).DataSource;
            if (!File.Exists(file))
            {
                throw new CliException(
                    $"no directory at {Path.GetFullPath(file)} (Mail:DataDirectory is {options.EffectiveDataDirectory}): " +
                    "run the command where the server runs, or set Mail:DataDirectory; to make a new one, run setup or add --create");
            }
        }

        else if (!create && !await HasTablesAsync(services.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>(), cancellationToken))
        {
            throw new CliException(
                $"{services.GetRequiredService<Core.Accounts.Sql.DirectoryDatabase>().Description} has no directory tables " +
                "(Mail:Directory:ConnectionString): to make them, run setup or add --create");
        }

        StartupTasks.EnsureDataDirectory(options);
        await services.GetRequiredService<SchemaInstaller>().EnsureSchemaAsync(cancellationToken);
    }

    /// <summary>Whether PostfixAdmin's <c>domain</c> table is there (the database itself must answer).</summary>
    private static async Task<bool> HasTablesAsync(Core.Accounts.Sql.DirectoryDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM `domain` WHERE 1 = 0";
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (System.Data.Common.DbException)
        {
            return false;
        }
    }
}

/// <summary>A command refused for a reason it states in one line (exit code 1).</summary>
public class CliException(string message) : Exception(message);
