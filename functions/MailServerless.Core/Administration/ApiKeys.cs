using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Administration;

/// <summary>An API key as listed (never its secret).</summary>
public sealed record ApiKeyView(string Id, string Name, string Username, DateTime Created, DateTime LastUsed);

/// <summary>A key just made: <see cref="Key"/> is shown this once.</summary>
public sealed record CreatedApiKey(string Id, string Name, string Username, string Key);

public sealed record ApiKeyInput(string? Name = null, string? Username = null);

/// <summary>
/// API keys for automation (<c>Authorization: Bearer msl_&lt;id&gt;_&lt;secret&gt;</c>), made by a superadmin for an
/// admin; a key acts with that admin's rights as they are when it is used. Only the SHA-256 of the secret is kept.
/// </summary>
public sealed class ApiKeys(DirectoryDatabase database, AdministrationLog log, TimeProvider clock)
{
    private const string Prefix = "msl_";

    private string Now => clock.DirectoryNow();

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(AdminActor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT `id`, `name`, `username`, `created`, `last_used` FROM `msl_api_key` ORDER BY `created`, `id`", cancellationToken: cancellationToken));
        return rows.Select(r => r.View()).ToList();
    }

    public async Task<CreatedApiKey> CreateAsync(AdminActor actor, ApiKeyInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        actor.EnsureSuperadmin();
        var name = (input.Name ?? string.Empty).Trim();
        if (name.Length is 0 or > 255 || name.Any(char.IsControl))
        {
            throw AdministrationException.Invalid("name", "A key needs a name of at most 255 characters.");
        }

        var username = input.Username is null ? actor.Username : DirectoryNames.Address(input.Username, "username").Value;
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(24));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var admin = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `admin` WHERE `username` = @username", new { username }, transaction, cancellationToken: cancellationToken));
        if (admin == 0)
        {
            throw AdministrationException.Invalid("username", $"{username} is not an admin.");
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `msl_api_key` (`id`, `name`, `secret_hash`, `username`, `created`, `last_used`) VALUES (@id, @name, @hash, @username, @now, @never)",
            new { id, name, hash = Hash(secret), username, now = Now, never = "2000-01-01 00:00:00" }, transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, string.Empty, "create_api_key", $"{id} ({name}) for {username}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new CreatedApiKey(id, name, username, $"{Prefix}{id}_{secret}");
    }

    public async Task DeleteAsync(AdminActor actor, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `msl_api_key` WHERE `id` = @id", new { id }, transaction, cancellationToken: cancellationToken));
        if (removed == 0)
        {
            throw AdministrationException.NotFound($"No API key {id}.");
        }

        await log.WriteAsync(connection, transaction, actor, string.Empty, "delete_api_key", id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The admin a key acts as (their username), or null for an unknown or wrong key.</summary>
    public async Task<string?> VerifyAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.IndexOf('_', Prefix.Length) is var separator && separator < 0)
        {
            return null;
        }

        var id = key[Prefix.Length..separator];
        var secret = key[(separator + 1)..];
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Hash, string Username)>(new CommandDefinition(
            "SELECT `secret_hash`, `username` FROM `msl_api_key` WHERE `id` = @id", new { id }, cancellationToken: cancellationToken));
        if (row.Hash is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.Hash), Encoding.ASCII.GetBytes(Hash(secret))))
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `msl_api_key` SET `last_used` = @now WHERE `id` = @id", new { now = Now, id }, cancellationToken: cancellationToken));
        return row.Username;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '-');

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class Row
    {
        public string id { get; set; } = string.Empty;

        public string name { get; set; } = string.Empty;

        public string username { get; set; } = string.Empty;

        public object created { get; set; } = string.Empty;

        public object last_used { get; set; } = string.Empty;

        public ApiKeyView View() => new(id, name, username,
            Convert.ToDateTime(created, CultureInfo.InvariantCulture), Convert.ToDateTime(last_used, CultureInfo.InvariantCulture));
    }
}
