using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.Testing;

/// <summary>Which database a directory test runs on.</summary>
public enum Backend
{
    Sqlite,
    MariaDb,
}

/// <summary>A fresh, empty directory database of either kind, with the services over it.</summary>
public sealed class TestDirectory : IAsyncDisposable
{
    private readonly Func<Task> _drop;

    private TestDirectory(Backend backend, DirectoryDatabase database, string connectionString, Func<Task> drop)
    {
        Backend = backend;
        Database = database;
        ConnectionString = connectionString;
        _drop = drop;
        Passwords = new PasswordService("MD5-CRYPT", "BLF-CRYPT", NullLogger<PasswordService>.Instance);
        Directory = new SqlAccountDirectory(database, Passwords, NullLogger<SqlAccountDirectory>.Instance);
        Admin = new DirectoryAdministration(database, Passwords, TimeProvider.System);
        Installer = new SchemaInstaller(database, NullLogger<SchemaInstaller>.Instance);
    }

    public Backend Backend { get; }

    public DirectoryDatabase Database { get; }

    public string ConnectionString { get; }

    public PasswordService Passwords { get; }

    public SqlAccountDirectory Directory { get; }

    public DirectoryAdministration Admin { get; }

    public SchemaInstaller Installer { get; }

    public static async Task<TestDirectory> CreateEmptyAsync(Backend backend)
    {
        if (backend == Backend.MariaDb)
        {
            var connectionString = await MariaDb.CreateDatabaseAsync();
            return new TestDirectory(backend, DirectoryDatabase.MySql(connectionString), connectionString,
                () => MariaDb.DropDatabaseAsync(connectionString));
        }

        var folder = Path.Combine(Path.GetTempPath(), "msl-sqlite-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(folder);
        var sqlite = $"Data Source={Path.Combine(folder, "directory.db")}";
        return new TestDirectory(backend, DirectoryDatabase.Sqlite(sqlite), sqlite, () =>
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(folder, recursive: true);
            return Task.CompletedTask;
        });
    }

    public static async Task<TestDirectory> CreateAsync(Backend backend)
    {
        var directory = await CreateEmptyAsync(backend);
        await directory.Installer.EnsureSchemaAsync();
        return directory;
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenAsync();
        return await connection.ExecuteAsync(sql, parameters);
    }

    public async Task<T?> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters);
    }

    public async ValueTask DisposeAsync() => await _drop();
}
