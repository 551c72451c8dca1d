using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Administration;

/// <summary>An alias domain: every <c>user@alias</c> is <c>user@target</c>.</summary>
public sealed record AliasDomainView(string AliasDomain, string TargetDomain, bool Active);

public sealed record AliasDomainInput(string? AliasDomain = null, string? TargetDomain = null, bool? Active = null);

/// <summary>
/// Alias domains (PostfixAdmin's <c>alias_domain</c>). As in PostfixAdmin both sides are domains of this
/// server, the alias domain holds no mailboxes or aliases of its own, and no chain of alias domains is made.
/// </summary>
public sealed class AliasDomains(DirectoryDatabase database, AdministrationLog log, TimeProvider clock)
{
    private string Now => clock.DirectoryNow();

    public async Task<Page<AliasDomainView>> ListAsync(AdminActor actor, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        (page, var domains) = page.For(actor);
        var filter = PageRequest.Where(
            domains is null ? null : "(`alias_domain` IN @domains OR `target_domain` IN @domains)", page.SearchCondition(database.Dialect, "`alias_domain`", "`target_domain`"));
        var search = page.SearchPattern;
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `alias_domain` " + filter, new { domains, search }, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT `alias_domain`, `target_domain`, `active` FROM `alias_domain` {filter}ORDER BY `alias_domain` LIMIT @limit OFFSET @offset",
            new { domains, search, limit = page.Limit, offset = page.Offset }, cancellationToken: cancellationToken));
        return new Page<AliasDomainView>(rows.Select(r => r.View()).ToList(), total, page.Offset, page.Limit);
    }

    public async Task<AliasDomainView> GetAsync(AdminActor actor, string aliasDomain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var alias = DirectoryNames.Domain(aliasDomain, "aliasDomain");
        await using var connection = await database.OpenAsync(cancellationToken);
        var found = await FindAsync(connection, null, alias, cancellationToken);
        // An admin of either side sees it (the list shows both); 403 otherwise, whether it exists or not.
        if (!(actor.CanManage(alias) || (found is not null && actor.CanManage(found.TargetDomain))))
        {
            actor.EnsureCanManage(alias);
        }

        return found ?? throw AdministrationException.NotFound($"No alias domain {alias}.");
    }

    public async Task<AliasDomainView> CreateAsync(AdminActor actor, AliasDomainInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var alias = DirectoryNames.Domain(input.AliasDomain, "aliasDomain");
        var target = DirectoryNames.Domain(input.TargetDomain, "targetDomain");
        actor.EnsureCanManage(alias);
        actor.EnsureCanManage(target);
        if (alias == target)
        {
            throw AdministrationException.Invalid("targetDomain", "A domain cannot be an alias of itself.");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var aliasRow = await Domains.FindAsync(connection, alias, cancellationToken, transaction)
                       ?? throw AdministrationException.Invalid("aliasDomain", $"{alias} is not a domain of this server; create it first.");
        _ = await Domains.FindAsync(connection, target, cancellationToken, transaction)
            ?? throw AdministrationException.Invalid("targetDomain", $"{target} is not a domain of this server.");
        // Its own aliases (the default ones) may stay, as Postfix looks them up first; mailboxes may not.
        if (aliasRow.MailboxCount > 0)
        {
            throw AdministrationException.Conflict($"{alias} has mailboxes of its own.");
        }

        var existing = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM `alias_domain` WHERE `alias_domain` = @alias OR `alias_domain` = @target OR `target_domain` = @alias)",
            new { alias, target }, transaction, cancellationToken: cancellationToken));
        if (existing > 0)
        {
            throw AdministrationException.Conflict($"{alias} is an alias domain already, or the change would chain alias domains.");
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `alias_domain` (`alias_domain`, `target_domain`, `created`, `modified`, `active`) VALUES (@alias, @target, @now, @now, @active)",
            new { alias, target, now = Now, active = input.Active ?? true ? 1 : 0 }, transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, alias, "create_alias_domain", $"{alias} -> {target}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, alias, cancellationToken))!;
    }

    public async Task<AliasDomainView> UpdateAsync(AdminActor actor, string aliasDomain, AliasDomainInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var current = await GetAsync(actor, aliasDomain, cancellationToken);
        // The target's admin reads the mapping; only the alias (source) domain's admin changes it.
        actor.EnsureCanManage(current.AliasDomain);
        if (input.TargetDomain is not null && DirectoryNames.Domain(input.TargetDomain, "targetDomain") != current.TargetDomain)
        {
            throw AdministrationException.Invalid("targetDomain", "Delete the alias domain and create it again to point it elsewhere.");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `alias_domain` SET `active` = @active, `modified` = @now WHERE `alias_domain` = @alias",
            new { active = input.Active ?? current.Active ? 1 : 0, now = Now, alias = current.AliasDomain }, transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, current.AliasDomain, "edit_alias_domain_state", current.AliasDomain, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, current.AliasDomain, cancellationToken))!;
    }

    public async Task DeleteAsync(AdminActor actor, string aliasDomain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var current = await GetAsync(actor, aliasDomain, cancellationToken);
        actor.EnsureCanManage(current.AliasDomain);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `alias_domain` WHERE `alias_domain` = @alias", new { alias = current.AliasDomain }, transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, current.AliasDomain, "delete_alias_domain", current.AliasDomain, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<AliasDomainView?> FindAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string alias, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT `alias_domain`, `target_domain`, `active` FROM `alias_domain` WHERE `alias_domain` = @alias",
            new { alias }, transaction, cancellationToken: cancellationToken));
        return row?.View();
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class Row
    {
        public string alias_domain { get; set; } = string.Empty;

        public string target_domain { get; set; } = string.Empty;

        public long active { get; set; }

        public AliasDomainView View() => new(alias_domain, target_domain, active != 0);
    }
}
