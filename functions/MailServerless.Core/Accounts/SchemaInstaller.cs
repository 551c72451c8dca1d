using System.Data.Common;
using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts.Schema;
using MailServerless.Core.Accounts.Sql;
using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Accounts;

/// <summary>
/// Brings a database to the directory schema. Missing tables are created (PostfixAdmin's as
/// PostfixAdmin creates them, then ours); existing PostfixAdmin tables are only checked for the
/// columns we use, never altered. Safe to run from several processes at once.
/// </summary>
public sealed partial class SchemaInstaller(DirectoryDatabase database, ILogger<SchemaInstaller> logger)
{
    public async Task<IReadOnlyList<string>> EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await EnsureSchemaCoreAsync(cancellationToken);
        }
        catch (DbException e)
        {
            throw new DirectoryConfigurationException(
                $"Cannot prepare the directory schema at {database.Description} (Mail:Directory:ConnectionString): {e.Message}", e);
        }
    }

    private async Task<IReadOnlyList<string>> EnsureSchemaCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenOrExplainAsync(cancellationToken);
        var dialect = database.Dialect;

        if (dialect is SqliteDialect)
        {
            // WAL lets readers (IMAP, POP3) proceed while a writer (admin API) commits.
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: cancellationToken));
        }

        var existing = await dialect.ListTablesAsync(connection, cancellationToken);
        var created = new List<string>();
        var problems = new List<string>();
        foreach (var table in DirectorySchema.Tables)
        {
            if (existing.Contains(table.Name))
            {
                if (table.Name.StartsWith(ExtensionSchema.Prefix, StringComparison.Ordinal))
                {
                    // Ours: brought forward by the numbered steps below (ExtensionMigrations).
                    continue;
                }

                var columns = await dialect.ListColumnsAsync(connection, table.Name, cancellationToken);
                var missing = table.RequiredColumns.Where(c => !columns.Contains(c)).ToList();
                if (missing.Count > 0)
                {
                    problems.Add($"table `{table.Name}` lacks column(s) {string.Join(", ", missing)}");
                }

                continue;
            }

            foreach (var statement in dialect.CreateTable(table))
            {
                await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken));
            }

            created.Add(table.Name);
        }

        if (created.Count > 0)
        {
            LogTablesCreated(created, database.Description);
        }

        if (problems.Count > 0)
        {
            throw new DirectoryConfigurationException(
                $"The directory at {database.Description} (Mail:Directory:ConnectionString) is not a PostfixAdmin 3.3 " +
                $"schema: {string.Join("; ", problems)}. Run PostfixAdmin's upgrade.php, or point the setting at an empty database.");
        }

        if (created.Contains(PostfixAdminSchema.Config.Name))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"{dialect.InsertIgnore} INTO `config` (`name`, `value`) VALUES ('version', @version)",
                new { version = PostfixAdminSchema.SchemaVersion }, cancellationToken: cancellationToken));
        }

        foreach (var step in await ExtensionMigrator.MigrateAsync(
                     connection, database, created.Contains(ExtensionSchema.Meta.Name), cancellationToken))
        {
            LogMigrated(step.Version, step.Description, database.Description);
        }

        return created;
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Brought the MailServerless tables to version {Version} ({Description}) in {Database}")]
    private partial void LogMigrated(int version, string description, string database);

    private async Task<DbConnection> OpenOrExplainAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await database.OpenAsync(cancellationToken);
        }
        catch (DbException e) when (SecretFailure(e) is { } secret)
        {
            throw new DirectoryConfigurationException($"Cannot open the directory at {database.Description}: {secret.Message}", e);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            throw new DirectoryConfigurationException(
                $"Cannot open the directory at {database.Description} (Mail:Directory:ConnectionString, " +
                $"Mail:Directory:Provider): {e.Message}", e);
        }
    }

    /// <summary>The secret that could not be read, when that is why the connection failed (the provider wraps it).</summary>
    private static Secrets.SecretUnavailableException? SecretFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is Secrets.SecretUnavailableException secret)
            {
                return secret;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Created directory tables {Tables} in {Database}")]
    private partial void LogTablesCreated(IReadOnlyList<string> tables, string database);
}
