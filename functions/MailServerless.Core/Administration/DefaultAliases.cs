using System.Data.Common;
using Dapper;

namespace MailServerless.Core.Administration;

/// <summary>
/// A domain's default aliases (PostfixAdmin's <c>default_aliases</c>: abuse, hostmaster, postmaster, webmaster;
/// RFC 2142), written in the caller's transaction. An address that is a mailbox keeps its mailbox.
/// </summary>
internal static class DefaultAliases
{
    /// <param name="replace">Point existing default aliases at <paramref name="target"/> too; otherwise only missing ones are made.</param>
    public static async Task WriteAsync(
        DbConnection connection, DbTransaction transaction, string domain, string target, IEnumerable<string> localParts, string now,
        bool replace, CancellationToken cancellationToken)
    {
        foreach (var local in localParts)
        {
            var address = $"{DirectoryNames.LocalPart(local, "Mail:Admin:DefaultAliases")}@{domain}";
            if (string.Equals(address, target, StringComparison.OrdinalIgnoreCase))
            {
                continue; // postmaster@d as the target of postmaster@d would be a loop
            }

            var (mailboxes, aliases) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
                "SELECT (SELECT COUNT(*) FROM `mailbox` WHERE `username` = @address), (SELECT COUNT(*) FROM `alias` WHERE `address` = @address)",
                new { address }, transaction, cancellationToken: cancellationToken));
            if (mailboxes > 0)
            {
                continue;
            }

            if (aliases == 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO `alias` (`address`, `goto`, `domain`, `created`, `modified`, `active`) VALUES (@address, @target, @domain, @now, @now, 1)",
                    new { address, target, domain, now }, transaction, cancellationToken: cancellationToken));
            }
            else if (replace)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE `alias` SET `goto` = @target, `modified` = @now WHERE `address` = @address",
                    new { address, target, now }, transaction, cancellationToken: cancellationToken));
            }
        }
    }
}
