using System.Security.Cryptography;
using Dapper;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Accounts.Schema;

/// <summary>
/// Secrets every host sharing a directory must agree on without being told (the SRS key, the key of mailbox change
/// notices): made at random on first use and kept in <c>msl_meta</c>; the first host to write one wins, every other
/// host reads it.
/// </summary>
public static class MetaSecrets
{
    /// <exception cref="System.Data.Common.DbException">The directory could not be read or written.</exception>
    public static async Task<string> GetOrCreateAsync(DirectoryDatabase database, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var connection = await database.OpenAsync(cancellationToken);
        var made = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        await connection.ExecuteAsync(new CommandDefinition(
            $"{database.Dialect.InsertIgnore} INTO `{ExtensionSchema.Meta.Name}` (`name`, `value`) VALUES (@name, @made)",
            new { name, made }, cancellationToken: cancellationToken));
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                   $"SELECT `value` FROM `{ExtensionSchema.Meta.Name}` WHERE `name` = @name", new { name }, cancellationToken: cancellationToken))
               ?? made;
    }
}
