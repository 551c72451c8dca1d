using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Administration;

/// <summary>An alias: one address (or <c>@domain</c>, a catch-all) and where its mail goes.</summary>
public sealed record AliasView(string Address, IReadOnlyList<string> Goto, string Domain, bool Active, bool IsMailbox);

/// <summary>Fields of an alias to create or change.</summary>
public sealed record AliasInput(string? Address = null, IReadOnlyList<string>? Goto = null, bool? Active = null);

/// <summary>
/// Aliases (PostfixAdmin's <c>alias</c> table, <c>goto</c> comma-separated). A mailbox's own row is its
/// forwarding: it can be changed here ("forward and keep a copy" keeps the mailbox itself among the
/// targets) but not created or deleted apart from the mailbox.
/// </summary>
public sealed class Aliases(DirectoryDatabase database, AdministrationLog log, Configuration.MailOptions mail, TimeProvider clock)
{
    private const int LoopSearchLimit = 200;

    private string Now => clock.DirectoryNow();

    /// <summary>Aliases that are not mailboxes (PostfixAdmin lists those apart).</summary>
    public async Task<Page<AliasView>> ListAsync(AdminActor actor, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        (page, var domains) = page.For(actor);
        var filter = PageRequest.Where(
            "a.`address` NOT IN (SELECT `username` FROM `mailbox`)", domains is null ? null : "a.`domain` IN @domains",
            page.SearchCondition(database.Dialect, "a.`address`", "a.`goto`"));
        var search = page.SearchPattern;
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM `alias` a {filter}", new { domains, search }, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<AliasRow>(new CommandDefinition(
            $"SELECT a.`address`, a.`goto`, a.`domain`, a.`active`, 0 AS is_mailbox FROM `alias` a {filter} ORDER BY a.`address` LIMIT @limit OFFSET @offset",
            new { domains, search, limit = page.Limit, offset = page.Offset }, cancellationToken: cancellationToken));
        return new Page<AliasView>(rows.Select(r => r.View()).ToList(), total, page.Offset, page.Limit);
    }

    public async Task<AliasView> GetAsync(AdminActor actor, string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = DirectoryNames.Address(address, "address", allowCatchAll: true);
        // A mailbox owner reads and changes their own row: their forwarding.
        actor.EnsureCanManageMailbox(key.Value, key.Domain);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, null, key.Value, cancellationToken) ?? throw AdministrationException.NotFound($"No alias {key.Value}.");
    }

    public async Task<AliasView> CreateAsync(AdminActor actor, AliasInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var key = DirectoryNames.Address(input.Address, "address", allowCatchAll: true);
        actor.EnsureCanManage(key.Domain);
        var targets = Targets(input.Goto);
        RefuseVacationTargets(targets);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var domain = await Domains.FindAsync(connection, key.Domain, cancellationToken, transaction)
                     ?? throw AdministrationException.Invalid("address", $"{key.Domain} is not a domain of this server.");
        if (domain.Aliases < 0 || (domain.Aliases > 0 && domain.AliasCount >= domain.Aliases))
        {
            throw AdministrationException.Invalid("address", $"{key.Domain} may have no more aliases ({domain.Aliases}).");
        }

        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM `alias` WHERE `address` = @address) + (SELECT COUNT(*) FROM `mailbox` WHERE `username` = @address)",
            new { address = key.Value }, transaction, cancellationToken: cancellationToken));
        if (exists > 0)
        {
            throw AdministrationException.Conflict($"{key.Value} exists already (as an alias or a mailbox).");
        }

        await RefuseLoopAsync(connection, transaction, key.Value, targets, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `alias` (`address`, `goto`, `domain`, `created`, `modified`, `active`) VALUES (@address, @goto, @domain, @now, @now, @active)",
            new { address = key.Value, @goto = string.Join(',', targets), domain = key.Domain, now = Now, active = input.Active ?? true ? 1 : 0 },
            transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, key.Domain, "create_alias", $"{key.Value} -> {string.Join(',', targets)}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, key.Value, cancellationToken))!;
    }

    public async Task<AliasView> UpdateAsync(AdminActor actor, string address, AliasInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var current = await GetAsync(actor, address, cancellationToken);
        if (input.Address is not null && DirectoryNames.Address(input.Address, "address", allowCatchAll: true).Value != current.Address)
        {
            throw AdministrationException.Invalid("address", "An alias cannot be renamed.");
        }

        if (actor.IsOnlyOwnerOf(current.Domain) && input.Active is not null)
        {
            throw AdministrationException.Forbidden("A mailbox owner may change only where mail goes.");
        }

        var targets = input.Goto is null ? current.Goto.ToList() : Targets(input.Goto);
        // The vacation target is the vacation's to set (PostfixAdmin keeps it across edits of the forwarding).
        var vacation = VacationAddress(current.Address);
        var onVacation = current.Goto.Contains(vacation, StringComparer.OrdinalIgnoreCase);
        targets.RemoveAll(t => string.Equals(t, vacation, StringComparison.OrdinalIgnoreCase));
        RefuseVacationTargets(targets);
        if (onVacation)
        {
            targets.Add(vacation);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A mailbox that keeps a copy ends every path; one that only forwards can be part of a loop.
        if (!(current.IsMailbox && targets.Contains(current.Address, StringComparer.Ordinal)))
        {
            await RefuseLoopAsync(connection, transaction, current.Address, targets, cancellationToken);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `alias` SET `goto` = @goto, `active` = @active, `modified` = @now WHERE `address` = @address",
            new { @goto = string.Join(',', targets), active = input.Active ?? current.Active ? 1 : 0, now = Now, address = current.Address },
            transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, current.Domain, "edit_alias", $"{current.Address} -> {string.Join(',', targets)}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, current.Address, cancellationToken))!;
    }

    public async Task DeleteAsync(AdminActor actor, string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var current = await GetAsync(actor, address, cancellationToken);
        if (current.IsMailbox)
        {
            throw AdministrationException.Conflict($"{current.Address} is a mailbox: its alias goes with the mailbox.");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `alias` WHERE `address` = @address", new { address = current.Address }, transaction, cancellationToken: cancellationToken));
        await log.WriteAsync(connection, transaction, actor, current.Domain, "delete_alias", current.Address, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static List<string> Targets(IReadOnlyList<string>? targets)
    {
        if (targets is null || targets.Count == 0)
        {
            throw AdministrationException.Invalid("goto", "An alias needs at least one target address.");
        }

        if (targets.Count > 1000)
        {
            throw AdministrationException.Invalid("goto", "An alias has at most 1000 targets.");
        }

        var checkedTargets = targets.Select(t => DirectoryNames.Target(t, "goto")).Distinct(StringComparer.Ordinal).ToList();
        // `goto` is TEXT: 65,535 bytes in all.
        if (System.Text.Encoding.UTF8.GetByteCount(string.Join(',', checkedTargets)) > 60_000)
        {
            throw AdministrationException.Invalid("goto", "The targets are too long together (at most 60,000 bytes).");
        }

        return checkedTargets;
    }

    private string VacationAddress(string mailbox) => Vacations.AddressFor(mailbox, mail.EffectiveVacationDomain);

    /// <summary>Addresses in the vacation domain trigger someone's auto-reply: only the vacation itself sets them.</summary>
    private void RefuseVacationTargets(IEnumerable<string> targets)
    {
        if (targets.Any(t => t.EndsWith("@" + mail.EffectiveVacationDomain, StringComparison.OrdinalIgnoreCase)))
        {
            throw AdministrationException.Invalid("goto", $"Targets in {mail.EffectiveVacationDomain} are set by the vacation, not here.");
        }
    }

    /// <summary>
    /// Refuses targets that lead back to the alias through other aliases without reaching a mailbox
    /// (mail would circle until Postfix's expansion limit). A path through a mailbox that keeps a copy is fine.
    /// </summary>
    private static async Task RefuseLoopAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string address, IReadOnlyList<string> targets,
        CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>(targets);
        while (queue.Count > 0 && seen.Count < LoopSearchLimit)
        {
            var next = queue.Dequeue();
            if (next == address)
            {
                throw AdministrationException.Invalid("goto", $"The targets lead back to {address} (an alias loop).");
            }

            if (!seen.Add(next))
            {
                continue;
            }

            foreach (var target in await NextHopsAsync(connection, transaction, next, cancellationToken))
            {
                queue.Enqueue(target);
            }
        }
    }

    /// <summary>
    /// Where mail for an address goes next, as delivery resolves it: its alias row (a mailbox that keeps a copy
    /// ends the path), else the alias domain's target address, else the domain's catch-all.
    /// </summary>
    private static async Task<IReadOnlyList<string>> NextHopsAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string address, CancellationToken cancellationToken)
    {
        var alias = await FindAsync(connection, transaction, address, cancellationToken);
        if (alias is not null)
        {
            return alias.IsMailbox && alias.Goto.Contains(address, StringComparer.Ordinal) ? [] : alias.Goto;
        }

        var at = address.LastIndexOf('@');
        if (at < 0)
        {
            return [];
        }

        var target = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT `target_domain` FROM `alias_domain` WHERE `alias_domain` = @domain AND `active` = 1",
            new { domain = address[(at + 1)..] }, transaction, cancellationToken: cancellationToken));
        if (target is not null)
        {
            return [address[..at] + "@" + target];
        }

        var catchAll = await FindAsync(connection, transaction, address[at..], cancellationToken);
        return catchAll?.Goto ?? [];
    }

    internal static async Task<AliasView?> FindAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string address, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<AliasRow>(new CommandDefinition(
            "SELECT a.`address`, a.`goto`, a.`domain`, a.`active`, (SELECT COUNT(*) FROM `mailbox` m WHERE m.`username` = a.`address`) AS is_mailbox " +
            "FROM `alias` a WHERE a.`address` = @address",
            new { address }, transaction, cancellationToken: cancellationToken));
        return row?.View();
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class AliasRow
    {
        public string address { get; set; } = string.Empty;

        public string @goto { get; set; } = string.Empty;

        public string domain { get; set; } = string.Empty;

        public long active { get; set; }

        public long is_mailbox { get; set; }

        public AliasView View() => new(
            address, @goto.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), domain, active != 0, is_mailbox != 0);
    }
}
