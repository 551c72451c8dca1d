using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;

namespace MailServerless.Core.Administration;

/// <summary>An admin as the API shows it: a superadmin, or a domain admin with the domains they manage.</summary>
public sealed record AdminView(string Username, bool Superadmin, IReadOnlyList<string> Domains, bool Active);

public sealed record AdminInput(string? Username = null, string? Password = null, bool? Superadmin = null, IReadOnlyList<string>? Domains = null, bool? Active = null);

/// <summary>
/// Admins (PostfixAdmin's <c>admin</c> and <c>domain_admins</c>; a superadmin also has the 'ALL' row PostfixAdmin
/// writes). Only superadmins manage admins; the last active superadmin cannot be removed or demoted.
/// </summary>
public sealed class Admins(DirectoryDatabase database, PasswordService passwords, AdministrationLog log, AdministrationOptions options, TimeProvider clock)
{
    private string Now => clock.DirectoryNow();

    public async Task<Page<AdminView>> ListAsync(AdminActor actor, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        page = page.Checked();
        await using var connection = await database.OpenAsync(cancellationToken);
        var filter = PageRequest.Where(
            page.Domain is null ? null : "`username` IN (SELECT `username` FROM `domain_admins` WHERE `domain` = @domain)", page.SearchCondition(database.Dialect, "`username`"));
        var search = page.SearchPattern;
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `admin` " + filter, new { domain = page.Domain, search }, cancellationToken: cancellationToken));
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT `username` FROM `admin` {filter}ORDER BY `username` LIMIT @limit OFFSET @offset",
            new { domain = page.Domain, search, limit = page.Limit, offset = page.Offset }, cancellationToken: cancellationToken));
        var items = new List<AdminView>();
        foreach (var name in names)
        {
            items.Add((await FindAsync(connection, null, name, cancellationToken))!);
        }

        return new Page<AdminView>(items, total, page.Offset, page.Limit);
    }

    /// <summary>An admin, for a superadmin; a domain admin reads only themselves.</summary>
    public async Task<AdminView> GetAsync(AdminActor actor, string username, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var name = DirectoryNames.Address(username, "username").Value;
        if (!IsSelf(actor, name))
        {
            actor.EnsureSuperadmin();
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, null, name, cancellationToken) ?? throw AdministrationException.NotFound($"No admin {name}.");
    }

    public async Task<AdminView> CreateAsync(AdminActor actor, AdminInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        actor.EnsureSuperadmin();
        var name = DirectoryNames.Address(input.Username, "username").Value;
        var hash = passwords.Hash(options.CheckPassword(input.Password));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var domains = await CheckDomainsAsync(connection, transaction, input.Domains ?? [], cancellationToken);
        if (await FindAsync(connection, transaction, name, cancellationToken) is not null)
        {
            throw AdministrationException.Conflict($"The admin {name} exists already.");
        }

        var super = input.Superadmin ?? false;
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `admin` (`username`, `password`, `created`, `modified`, `active`, `superadmin`) VALUES (@name, @hash, @now, @now, @active, @super)",
            new { name, hash, now = Now, active = input.Active ?? true ? 1 : 0, super = super ? 1 : 0 }, transaction, cancellationToken: cancellationToken));
        await WriteGrantsAsync(connection, transaction, name, super, domains, cancellationToken);
        await log.WriteAsync(connection, transaction, actor, string.Empty, "create_admin", name, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, name, cancellationToken))!;
    }

    /// <summary>Changes an admin (a superadmin's right); a domain admin changes only their own password, as in PostfixAdmin.</summary>
    public async Task<AdminView> UpdateAsync(AdminActor actor, string username, AdminInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var current = await GetAsync(actor, username, cancellationToken);
        if (!actor.IsSuperadmin && (input.Superadmin ?? input.Active ?? (object?)input.Domains) is not null)
        {
            throw AdministrationException.Forbidden("Only a superadmin may do this.");
        }

        var super = input.Superadmin ?? current.Superadmin;
        var active = input.Active ?? current.Active;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var domains = input.Domains is null ? current.Domains : await CheckDomainsAsync(connection, transaction, input.Domains, cancellationToken);
        if (current.Superadmin && current.Active && (!super || !active))
        {
            await EnsureAnotherSuperadminAsync(connection, transaction, current.Username, cancellationToken);
        }

        var hash = input.Password is null ? null : passwords.Hash(options.CheckPassword(input.Password));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `admin` SET `superadmin` = @super, `active` = @active, `modified` = @now" + (hash is null ? string.Empty : ", `password` = @hash") +
            " WHERE `username` = @name",
            new { super = super ? 1 : 0, active = active ? 1 : 0, now = Now, hash, name = current.Username }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `domain_admins` WHERE `username` = @name", new { name = current.Username }, transaction, cancellationToken: cancellationToken));
        await WriteGrantsAsync(connection, transaction, current.Username, super, domains, cancellationToken);
        await log.WriteAsync(connection, transaction, actor, string.Empty, "edit_admin", current.Username, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, current.Username, cancellationToken))!;
    }

    private static bool IsSelf(AdminActor actor, string username) =>
        actor.OwnMailbox is null && string.Equals(actor.Username, username, StringComparison.OrdinalIgnoreCase);

    public async Task DeleteAsync(AdminActor actor, string username, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        var current = await GetAsync(actor, username, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (current.Superadmin && current.Active)
        {
            await EnsureAnotherSuperadminAsync(connection, transaction, current.Username, cancellationToken);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `domain_admins` WHERE `username` = @name", new { name = current.Username }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `admin` WHERE `username` = @name", new { name = current.Username }, transaction, cancellationToken: cancellationToken));
        // Keys act as their admin: they go with them (a later admin of the same name does not inherit them).
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `msl_api_key` WHERE `username` = @name", new { name = current.Username }, transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, string.Empty, "delete_admin", current.Username, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<List<string>> CheckDomainsAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, IReadOnlyList<string> domains, CancellationToken cancellationToken)
    {
        var checkedDomains = new List<string>();
        foreach (var domain in domains.Select(d => DirectoryNames.Domain(d, "domains")).Distinct(StringComparer.Ordinal))
        {
            if (await Domains.FindAsync(connection, domain, cancellationToken, transaction) is null)
            {
                throw AdministrationException.Invalid("domains", $"{domain} is not a domain of this server.");
            }

            checkedDomains.Add(domain);
        }

        return checkedDomains;
    }

    private async Task WriteGrantsAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string name, bool super, IReadOnlyList<string> domains,
        CancellationToken cancellationToken)
    {
        foreach (var domain in super ? ["ALL"] : domains)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `domain_admins` (`username`, `domain`, `created`, `active`) VALUES (@name, @domain, @now, 1)",
                new { name, domain, now = Now }, transaction, cancellationToken: cancellationToken));
        }
    }

    private static async Task EnsureAnotherSuperadminAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string except, CancellationToken cancellationToken)
    {
        var others = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `admin` WHERE `superadmin` = 1 AND `active` = 1 AND `username` <> @except",
            new { except }, transaction, cancellationToken: cancellationToken));
        if (others == 0)
        {
            throw AdministrationException.Conflict("This is the last active superadmin.");
        }
    }

    private static async Task<AdminView?> FindAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<AdminRow>(new CommandDefinition(
            "SELECT `username`, `superadmin`, `active` FROM `admin` WHERE `username` = @name", new { name }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var domains = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT `domain` FROM `domain_admins` WHERE `username` = @name ORDER BY `domain`", new { name }, transaction, cancellationToken: cancellationToken))).ToList();
        var super = row.superadmin != 0 || domains.Contains("ALL");
        return new AdminView(row.username, super, domains.Where(d => d != "ALL").ToList(), row.active != 0);
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class AdminRow
    {
        public string username { get; set; } = string.Empty;

        public long superadmin { get; set; }

        public long active { get; set; }
    }
}
