using MySqlConnector;

namespace MailServerless.Testing;

/// <summary>
/// The throwaway MariaDB server that tests/run.sh starts; its address arrives in
/// MAILSERVERLESS_TEST_MYSQL. Without it the MariaDB tests fail (they are never skipped).
/// </summary>
public static class MariaDb
{
    public const string EnvironmentVariable = "MAILSERVERLESS_TEST_MYSQL";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: run the tests with tests/run.sh, which starts MariaDB.");

    /// <summary>Creates an empty database with a unique name; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)];
        await using var connection = new MySqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE `{name}`";
        await command.ExecuteNonQueryAsync();
        return new MySqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new MySqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new MySqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"DROP DATABASE IF EXISTS `{name}`";
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a mysqldump-style script (the PostfixAdmin fixture) on a database.</summary>
    public static async Task RunScriptAsync(string connectionString, string script)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString) { AllowUserVariables = true };
        await using var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        // The "/*M!999999\- enable the sandbox mode */" line is an instruction to the mariadb client only.
        var lines = script.Split('\n').Where(l => !l.StartsWith("/*M!999999", StringComparison.Ordinal));
        await using var command = connection.CreateCommand();
        command.CommandText = string.Join('\n', lines);
        await command.ExecuteNonQueryAsync();
    }
}
