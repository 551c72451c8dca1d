using Dapper;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Administration;

/// <summary>
/// The language a mailbox's owner reads the server's own messages in (quota warnings), kept in
/// <c>msl_mailbox_setting</c> beside PostfixAdmin's <c>mailbox</c> row: the languages the server has texts for, or
/// empty for the server's default.
/// </summary>
public sealed class MailboxLanguages(DirectoryDatabase database)
{
    /// <summary>The languages the server writes in (BCP 47 primary tags).</summary>
    public static IReadOnlyList<string> Supported { get; } = ["en", "ja"];

    /// <summary>The language set for <paramref name="username"/>; empty when none is.</summary>
    public async Task<string> GetAsync(string username, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT `language` FROM `msl_mailbox_setting` WHERE `username` = @username", new { username }, cancellationToken: cancellationToken)) ?? string.Empty;
    }

    /// <summary>The language as stored (lower case), or the field's error.</summary>
    public static string Check(string language)
    {
        ArgumentNullException.ThrowIfNull(language);
        var tag = language.Trim().ToLowerInvariant();
        return tag.Length == 0 || Supported.Contains(tag)
            ? tag
            : throw AdministrationException.Invalid("language", $"The language is one of {string.Join(", ", Supported)}, or empty for the server's default.");
    }

    internal static async Task SetAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string username, string language, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `msl_mailbox_setting` WHERE `username` = @username", new { username }, transaction, cancellationToken: cancellationToken));
        if (language.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `msl_mailbox_setting` (`username`, `language`) VALUES (@username, @language)",
                new { username, language }, transaction, cancellationToken: cancellationToken));
        }
    }
}
