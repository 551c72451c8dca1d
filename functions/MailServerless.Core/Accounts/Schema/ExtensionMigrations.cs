using System.Data.Common;
using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts.Sql;
using Microsoft.Data.Sqlite;

namespace MailServerless.Core.Accounts.Schema;

/// <summary>
/// Changes to our own tables after they first shipped, in order, step N
/// bringing <c>msl_meta</c>'s <c>schema_version</c> from N−1 to N. A step names <c>msl_*</c> tables only
/// (PostfixAdmin's are never altered), and adds only what is missing, so it is safe to run again: MySQL commits each
/// ALTER on its own, and a step cut short is finished by the next start. <see cref="ExtensionSchema.Version"/> is the
/// last step's number; a new database gets the tables as <see cref="ExtensionSchema"/> defines them now and starts at
/// that version without running any step.
/// </summary>
public static class ExtensionMigrations
{
    /// <summary>Every step, in order; append only (a shipped step is never edited).</summary>
    public static IReadOnlyList<ExtensionMigration> Steps { get; } =
    [
        // The pending_* columns came after msl_dkim first shipped: a directory made before them lacks them.
        new(2, "msl_dkim keeps a rotation's pending key",
            AddMissingColumns(ExtensionSchema.Dkim, "pending_selector", "pending_description", "pending_private_key", "pending_public_key")),
        // A new table: made by the installer with the others; the step records that the tables have it.
        new(3, "msl_mailbox_setting keeps each mailbox's language", (_, _, _) => Task.FromResult<IReadOnlyList<string>>([])),
        new(4, "msl_console_key keeps the web console's session keys", (_, _, _) => Task.FromResult<IReadOnlyList<string>>([])),
    ];

    /// <summary>
    /// A step that adds the named columns of <paramref name="table"/> (as it is defined now) where they are missing: its
    /// plan reads the table's columns and gives the <c>ALTER TABLE</c> statements still needed.
    /// </summary>
    public static Func<DbConnection, ISqlDialect, CancellationToken, Task<IReadOnlyList<string>>> AddMissingColumns(
        TableDefinition table, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!table.Name.StartsWith(ExtensionSchema.Prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{table.Name} is PostfixAdmin's: a migration never alters it", nameof(table));
        }

        return async (connection, dialect, cancellationToken) =>
        {
            var existing = await dialect.ListColumnsAsync(connection, table.Name, cancellationToken);
            return columns.Where(c => !existing.Contains(c)).Select(c => dialect.AddColumn(table, table.Column(c))).ToList();
        };
    }
}

/// <summary>
/// One step: the version it brings the tables to, what it does (for the log), and its plan: the statements still
/// needed, read from the database as it is (so a step run again, or on tables made as defined now, does nothing).
/// </summary>
public sealed record ExtensionMigration(
    int Version, string Description, Func<DbConnection, ISqlDialect, CancellationToken, Task<IReadOnlyList<string>>> Plan);

/// <summary>
/// Runs the steps a database has not had, called by <see cref="SchemaInstaller"/> in place of its
/// <c>INSERT IGNORE</c> of the version. Several processes may start at once: each step runs under a lock (SQLite:
/// <c>BEGIN IMMEDIATE</c>, in which the step and the new version commit together; MySQL: <c>GET_LOCK</c>), and the
/// version is read again under it, so a step another process finished is not run twice.
/// </summary>
public static class ExtensionMigrator
{
    private const string VersionQuery = "SELECT `value` FROM `msl_meta` WHERE `name` = 'schema_version'";

    /// <returns>The steps applied (for the log), none on an up-to-date or new database.</returns>
    /// <exception cref="DirectoryConfigurationException">The database was written by a newer build.</exception>
    public static async Task<IReadOnlyList<ExtensionMigration>> MigrateAsync(
        DbConnection connection, DirectoryDatabase database, bool metaCreated, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(database);
        var dialect = database.Dialect;
        // A new msl_meta: the tables were just made as defined now. An old one without the row: every build before
        // migrations wrote 1.
        var start = metaCreated ? ExtensionSchema.Version : 1;
        await connection.ExecuteAsync(new CommandDefinition(
            $"{dialect.InsertIgnore} INTO `msl_meta` (`name`, `value`) VALUES ('schema_version', @version)",
            new { version = start.ToString(CultureInfo.InvariantCulture) }, cancellationToken: cancellationToken));

        var stored = await StoredAsync(connection, null, cancellationToken);
        if (stored > ExtensionSchema.Version)
        {
            throw new DirectoryConfigurationException(
                $"The directory at {database.Description} has MailServerless schema version {stored}, " +
                $"newer than this build's {ExtensionSchema.Version}: upgrade this server.");
        }

        var applied = new List<ExtensionMigration>();
        foreach (var step in ExtensionMigrations.Steps.Where(s => s.Version > stored).OrderBy(s => s.Version))
        {
            if (await ApplyAsync(connection, dialect, step, cancellationToken))
            {
                applied.Add(step);
            }
        }

        return applied;
    }

    private static async Task<bool> ApplyAsync(DbConnection connection, ISqlDialect dialect, ExtensionMigration step, CancellationToken cancellationToken)
    {
        if (connection is SqliteConnection sqlite)
        {
            // Planned before the transaction (Microsoft.Data.Sqlite refuses a command without it inside one); the version
            // read again inside says whether another process ran the step meanwhile.
            var planned = await step.Plan(connection, dialect, cancellationToken);
            // Not deferred: BEGIN IMMEDIATE, one writer at a time; SQLite's DDL commits with the new version or not at all.
            await using var transaction = sqlite.BeginTransaction(deferred: false);
            if (await StoredAsync(connection, transaction, cancellationToken) >= step.Version)
            {
                return false;
            }

            foreach (var statement in planned)
            {
                await connection.ExecuteAsync(new CommandDefinition(statement, transaction: transaction, cancellationToken: cancellationToken));
            }

            await SetVersionAsync(connection, transaction, step.Version, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }

        // MySQL commits each ALTER by itself: a named lock keeps other starting processes out, and the plan is made under it.
        if (await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT GET_LOCK('msl_schema', 60)", cancellationToken: cancellationToken)) != 1)
        {
            throw new DirectoryConfigurationException(
                "Another process has been upgrading the MailServerless tables for a minute: start again once it has finished.");
        }

        try
        {
            if (await StoredAsync(connection, null, cancellationToken) >= step.Version)
            {
                return false;
            }

            foreach (var statement in await step.Plan(connection, dialect, cancellationToken))
            {
                await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken));
            }

            await SetVersionAsync(connection, null, step.Version, cancellationToken);
            return true;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT RELEASE_LOCK('msl_schema')", cancellationToken: CancellationToken.None));
        }
    }

    private static async Task<int> StoredAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        int.TryParse(
            await connection.ExecuteScalarAsync<string>(new CommandDefinition(VersionQuery, transaction: transaction, cancellationToken: cancellationToken)),
            NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 1;

    private static Task SetVersionAsync(DbConnection connection, DbTransaction? transaction, int version, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `msl_meta` SET `value` = @version WHERE `name` = 'schema_version'",
            new { version = version.ToString(CultureInfo.InvariantCulture) }, transaction, cancellationToken: cancellationToken));
}
