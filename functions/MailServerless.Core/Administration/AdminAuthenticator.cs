using Dapper;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;

namespace MailServerless.Core.Administration;

/// <summary>
/// Checks an admin's address and password against PostfixAdmin's <c>admin</c> table (the same hashes
/// PostfixAdmin writes) and reads which domains they manage from <c>domain_admins</c>.
/// </summary>
public sealed class AdminAuthenticator(DirectoryDatabase database, PasswordService passwords)
{
    /// <summary>The admin as an actor, or null for an unknown admin, a wrong password or an inactive admin.</summary>
    public async Task<AdminActor?> AuthenticateAsync(string username, string password, string origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(username);
        await using var connection = await database.OpenAsync(cancellationToken);
        var admin = await connection.QuerySingleOrDefaultAsync<AdminRow>(new CommandDefinition(
            "SELECT `username`, `password`, `superadmin` FROM `admin` WHERE `username` = @username AND `active` = 1",
            new { username = username.Trim().ToLowerInvariant() }, cancellationToken: cancellationToken));
        if (admin is null)
        {
            // Spend the time of a check anyway, so that timing does not tell which admins exist.
            passwords.SpendCheckTime(password);
            return null;
        }

        if (!passwords.Verify(password, admin.password, admin.username).Succeeded)
        {
            return null;
        }

        return await ActorAsync(connection, admin, origin, cancellationToken);
    }

    /// <summary>An active admin as an actor without a password check (an API key that names them); null when inactive or gone.</summary>
    public async Task<AdminActor?> FindAsync(string username, string origin, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var admin = await connection.QuerySingleOrDefaultAsync<AdminRow>(new CommandDefinition(
            "SELECT `username`, `password`, `superadmin` FROM `admin` WHERE `username` = @username AND `active` = 1",
            new { username }, cancellationToken: cancellationToken));
        return admin is null ? null : await ActorAsync(connection, admin, origin, cancellationToken);
    }

    /// <summary>The first active superadmin (the command line acts as them); null on a directory without one.</summary>
    public async Task<AdminActor?> FirstSuperadminAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var username = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT `username` FROM `admin` WHERE `superadmin` = 1 AND `active` = 1 ORDER BY `created`, `username`",
            cancellationToken: cancellationToken));
        return username is null ? null : new AdminActor(username, true, new HashSet<string>(), "cli");
    }

    private static async Task<AdminActor> ActorAsync(System.Data.Common.DbConnection connection, AdminRow admin, string origin, CancellationToken cancellationToken)
    {
        var domains = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT `domain` FROM `domain_admins` WHERE `username` = @username AND `active` = 1",
            new { username = admin.username }, cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
        // PostfixAdmin marks a superadmin both ways: the flag, and a domain_admins row for 'ALL'.
        var super = admin.superadmin != 0 || domains.Contains("ALL");
        domains.Remove("ALL");
        return new AdminActor(admin.username, super, domains, origin);
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class AdminRow
    {
        public string username { get; set; } = string.Empty;

        public string password { get; set; } = string.Empty;

        public long superadmin { get; set; }
    }
}
