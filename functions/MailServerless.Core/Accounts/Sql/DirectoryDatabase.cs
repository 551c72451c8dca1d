using System.Data.Common;
using MailServerless.Core.Configuration;
using MailServerless.Core.Secrets;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace MailServerless.Core.Accounts.Sql;

/// <summary>
/// Opens connections to the directory database, MySQL/MariaDB or SQLite, and knows the
/// dialect that goes with it. One instance per process; connections are pooled by the providers.
/// </summary>
public sealed class DirectoryDatabase
{
    private readonly string _connectionString;
    private readonly MySqlDataSource? _rotatingPassword;

    private DirectoryDatabase(ISqlDialect dialect, string connectionString, string description, MySqlDataSource? rotatingPassword = null)
    {
        Dialect = dialect;
        _connectionString = connectionString;
        Description = description;
        _rotatingPassword = rotatingPassword;
    }

    public ISqlDialect Dialect { get; }

    /// <summary>Where the directory lives, without credentials (for logs and errors).</summary>
    public string Description { get; }

    public static DirectoryDatabase FromOptions(MailOptions options) => FromOptions(options, SecretSettings.None);

    /// <summary>The directory the settings name; <c>Mail:Directory:Password</c> may name a secret (<paramref name="secrets"/>).</summary>
    public static DirectoryDatabase FromOptions(MailOptions options, SecretSettings secrets)
    {
        ArgumentNullException.ThrowIfNull(options);
        var directory = options.Directory;
        if (directory.IsMySql)
        {
            return MySql(options.EffectiveDirectoryConnectionString, directory.Password, secrets);
        }

        if (directory.IsSqlite)
        {
            return Sqlite(options.EffectiveDirectoryConnectionString);
        }

        throw new DirectoryConfigurationException(
            $"Mail:Directory:Provider is '{directory.Provider}'; expected 'Sqlite' or 'MySql'.");
    }

    /// <summary>
    /// MySQL/MariaDB. A <paramref name="password"/> replaces the connection string's; one that names a secret
    /// (<c>ssm:...</c>) is read before the first connection and again every <see cref="SecretSettings.RefreshInterval"/>,
    /// so new connections log in with a rotated password while open ones carry on.
    /// </summary>
    public static DirectoryDatabase MySql(string connectionString, string? password = null, SecretSettings? secrets = null)
    {
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString)
            {
                // Older PostfixAdmin databases may hold zero dates; read them as DateTime.MinValue.
                ConvertZeroDateTime = true,
                CharacterSet = "utf8mb4",
            };
        }
        catch (ArgumentException e)
        {
            throw new DirectoryConfigurationException(
                $"Mail:Directory:ConnectionString is not a valid MySQL connection string: {e.Message}", e);
        }

        var where = $"MySQL {builder.Server}:{builder.Port}/{builder.Database}";
        if (!SecretSettings.IsReference(password))
        {
            if (!string.IsNullOrEmpty(password))
            {
                builder.Password = password;
            }

            return new DirectoryDatabase(MySqlDialect.Instance, builder.ConnectionString, where);
        }

        var source = secrets ?? SecretSettings.None;
        builder.Password = string.Empty;
        var dataSource = new MySqlDataSourceBuilder(builder.ConnectionString)
            .UsePeriodicPasswordProvider(
                (_, cancellationToken) => source.ResolveAsync(password, "Mail:Directory:Password", cancellationToken),
                source.RefreshInterval, TimeSpan.FromSeconds(10))
            .Build();
        return new DirectoryDatabase(MySqlDialect.Instance, builder.ConnectionString, where, dataSource);
    }

    public static DirectoryDatabase Sqlite(string connectionString)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString) { ForeignKeys = true, Pooling = true };
        }
        catch (ArgumentException e)
        {
            throw new DirectoryConfigurationException(
                $"Mail:Directory:ConnectionString is not a valid SQLite connection string: {e.Message}", e);
        }

        if (string.IsNullOrWhiteSpace(builder.DataSource))
        {
            throw new DirectoryConfigurationException("Mail:Directory:ConnectionString names no SQLite Data Source.");
        }

        return new DirectoryDatabase(SqliteDialect.Instance, builder.ConnectionString, $"SQLite {builder.DataSource}");
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_rotatingPassword is not null)
        {
            return await _rotatingPassword.OpenConnectionAsync(cancellationToken);
        }

        DbConnection connection = Dialect is MySqlDialect
            ? new MySqlConnection(_connectionString)
            : new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (connection is SqliteConnection sqlite)
            {
                await using var pragma = sqlite.CreateCommand();
                // Several processes (edge server, workers) may share the file: wait for locks.
                pragma.CommandText = "PRAGMA busy_timeout = 5000;";
                await pragma.ExecuteNonQueryAsync(cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
