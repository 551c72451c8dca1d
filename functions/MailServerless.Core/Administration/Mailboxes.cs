using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;

namespace MailServerless.Core.Administration;

/// <summary>A mailbox as the API shows it (the password never); <see cref="QuotaUsed"/> only when read one by one.</summary>
public sealed record MailboxView(string Address, string Name, long Quota, bool Active, string Domain, string LocalPart, string Maildir)
{
    /// <summary>Bytes and messages in the Maildir, from its <c>maildirsize</c> (as Dovecot's quota counts them).</summary>
    public MailboxUsage? QuotaUsed { get; init; }

    /// <summary>The language of what the server writes to the owner (quota warnings): <c>en</c>, <c>ja</c>, or empty for the server's default.</summary>
    public string Language { get; init; } = string.Empty;
}

public sealed record MailboxUsage(long Bytes, long Messages);

/// <summary>Fields of a mailbox to create or change; null leaves a field as it is. <see cref="Quota"/> is bytes, or a size with a unit in JSON (<c>"100M"</c>).</summary>
public sealed record MailboxInput(
    string? Address = null, string? Password = null, string? Name = null,
    [property: System.Text.Json.Serialization.JsonConverter(typeof(BytesJsonConverter))] long? Quota = null, bool? Active = null,
    string? Language = null);

/// <summary>What happens on disk and in the queue when a mailbox comes or goes (Maildir, welcome mail).</summary>
public interface IMailboxProvisioning
{
    Task CreatedAsync(Mailbox mailbox, CancellationToken cancellationToken);

    Task DeletedAsync(string maildir, bool removeFiles, CancellationToken cancellationToken);

    /// <summary>What the Maildir holds now; null when it does not exist (yet).</summary>
    Task<MailboxUsage?> UsageAsync(string maildir, long quotaBytes, CancellationToken cancellationToken);

    /// <summary>Counts the Maildir's messages again and rewrites its <c>maildirsize</c> (<c>doveadm quota recalc</c>); null when it does not exist.</summary>
    Task<MailboxUsage?> RecalculateUsageAsync(string maildir, long quotaBytes, CancellationToken cancellationToken);
}

/// <summary>
/// Mailboxes (PostfixAdmin's <c>mailbox</c> table with the self-alias it writes beside each one), within the
/// domain's limits: number of mailboxes, largest quota per mailbox and total quota (PostfixAdmin's MB times
/// its <c>quota_multiplier</c>, 1,024,000).
/// </summary>
public sealed class Mailboxes(
    DirectoryDatabase database, PasswordService passwords, AdministrationLog log, AdministrationOptions options,
    IMailboxProvisioning provisioning, TimeProvider clock)
{
    private const string Columns = "`username`, `name`, `quota`, `active`, `domain`, `local_part`, `maildir`, " +
        "(SELECT `language` FROM `msl_mailbox_setting` WHERE `msl_mailbox_setting`.`username` = `mailbox`.`username`) AS `language`";

    /// <summary>1 PB: far above any real mailbox, and sums of many stay far below <see cref="long.MaxValue"/>.</summary>
    public const long MaxQuotaBytes = 1_000_000_000_000_000;

    private string Now => clock.DirectoryNow();

    public async Task<Page<MailboxView>> ListAsync(AdminActor actor, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        (page, var domains) = page.For(actor);
        var filter = PageRequest.Where(domains is null ? null : "`domain` IN @domains", page.SearchCondition(database.Dialect, "`username`", "`name`"));
        var search = page.SearchPattern;
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `mailbox` " + filter, new { domains, search }, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<MailboxRow>(new CommandDefinition(
            $"SELECT {Columns} FROM `mailbox` {filter}ORDER BY `username` LIMIT @limit OFFSET @offset",
            new { domains, search, limit = page.Limit, offset = page.Offset }, cancellationToken: cancellationToken));
        return new Page<MailboxView>(rows.Select(r => r.View()).ToList(), total, page.Offset, page.Limit);
    }

    public async Task<MailboxView> GetAsync(AdminActor actor, string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var parsed = DirectoryNames.Address(address, "address");
        actor.EnsureCanManageMailbox(parsed.Value, parsed.Domain);
        await using var connection = await database.OpenAsync(cancellationToken);
        var mailbox = await FindAsync(connection, null, parsed.Value, cancellationToken) ?? throw AdministrationException.NotFound($"No mailbox {parsed.Value}.");
        if (!Accounts.MaildirPath.IsValid(mailbox.Maildir, out var reason))
        {
            // A row written by hand or by another tool: its files are never touched, but it can be deleted.
            throw AdministrationException.Conflict(
                $"The mailbox's maildir '{mailbox.Maildir}' is unsafe ({reason}); nothing is read from it. DELETE removes the row and leaves the files.");
        }

        return mailbox with { QuotaUsed = await provisioning.UsageAsync(mailbox.Maildir, mailbox.Quota, cancellationToken) };
    }

    public async Task<MailboxView> CreateAsync(AdminActor actor, MailboxInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var address = DirectoryNames.Address(input.Address, "address");
        actor.EnsureCanManage(address.Domain);
        var password = options.CheckPassword(input.Password);
        var name = CheckName(input.Name ?? string.Empty);
        var language = MailboxLanguages.Check(input.Language ?? string.Empty);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var domain = await Domains.FindAsync(connection, address.Domain, cancellationToken, transaction)
                     ?? throw AdministrationException.Invalid("address", $"{address.Domain} is not a domain of this server.");
        // Left out, the quota is the domain's largest (PostfixAdmin fills the form with it).
        var quota = input.Quota ?? (domain.MaxQuota > 0 ? domain.MaxQuota * DirectoryAdministration.QuotaMultiplier : 0);
        var aliasOf = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `alias_domain` WHERE `alias_domain` = @domain", new { domain = address.Domain }, transaction, cancellationToken: cancellationToken));
        if (aliasOf > 0)
        {
            throw AdministrationException.Invalid("address", $"{address.Domain} is an alias domain: its addresses are those of its target.");
        }
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM `mailbox` WHERE `username` = @address) + (SELECT COUNT(*) FROM `alias` WHERE `address` = @address)",
            new { address = address.Value }, transaction, cancellationToken: cancellationToken));
        if (exists > 0)
        {
            throw AdministrationException.Conflict($"{address.Value} exists already (as a mailbox or an alias).");
        }

        if (domain.BackupMx)
        {
            throw AdministrationException.Invalid("address", $"{address.Domain} is a backup MX domain: it holds no mailboxes.");
        }

        if (domain.Mailboxes < 0 || (domain.Mailboxes > 0 && domain.MailboxCount >= domain.Mailboxes))
        {
            throw AdministrationException.Invalid("address", $"{address.Domain} may have no more mailboxes ({domain.Mailboxes}).");
        }

        await CheckQuotaAsync(connection, transaction, domain, quota, null, cancellationToken);
        var maildir = MaildirPath.ForAddress(address.LocalPart, address.Domain);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `mailbox` (`username`, `password`, `name`, `maildir`, `quota`, `local_part`, `domain`, `created`, `modified`, `active`) " +
            "VALUES (@address, @hash, @name, @maildir, @quota, @local, @domain, @now, @now, @active)",
            new
            {
                address = address.Value, hash = passwords.Hash(password), name, maildir, quota, local = address.LocalPart,
                domain = address.Domain, now = Now, active = input.Active ?? true ? 1 : 0,
            },
            transaction, cancellationToken: cancellationToken));
        // PostfixAdmin writes the mailbox's own alias (goto = itself); Postfix's virtual_alias_maps need it.
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `alias` (`address`, `goto`, `domain`, `created`, `modified`, `active`) VALUES (@address, @address, @domain, @now, @now, @active)",
            new { address = address.Value, domain = address.Domain, now = Now, active = input.Active ?? true ? 1 : 0 },
            transaction, cancellationToken: cancellationToken));
        if (domain.MailboxCount == 0)
        {
            // The domain's first mailbox gets postmaster's mail (and abuse's...) where no one else was named for it.
            await DefaultAliases.WriteAsync(connection, transaction, address.Domain, address.Value, options.DefaultAliasLocalParts, Now, replace: false, cancellationToken);
        }

        if (language.Length > 0)
        {
            await MailboxLanguages.SetAsync(connection, transaction, address.Value, language, cancellationToken);
        }

        await log.WriteAsync(connection, transaction, actor, address.Domain, "create_mailbox", address.Value, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (input.Active ?? true)
        {
            // An inactive mailbox gets its Maildir when it is activated (by its first delivery); no welcome mail to bounce.
            await provisioning.CreatedAsync(new Mailbox(address.Value, name, maildir, quota, address.LocalPart, address.Domain), cancellationToken);
        }
        return (await FindAsync(connection, null, address.Value, cancellationToken))!;
    }

    /// <summary>Changes name, quota, active and password (a domain admin within the domain's limits).</summary>
    public async Task<MailboxView> UpdateAsync(AdminActor actor, string address, MailboxInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var current = await GetAsync(actor, address, cancellationToken);
        if (input.Address is not null && DirectoryNames.Address(input.Address, "address").Value != current.Address)
        {
            throw AdministrationException.Invalid("address", "A mailbox cannot be renamed.");
        }

        if (actor.IsOnlyOwnerOf(current.Domain) && (input.Name ?? (object?)input.Quota ?? input.Active) is not null)
        {
            throw AdministrationException.Forbidden("A mailbox owner may change only the password and the language.");
        }

        var language = input.Language is null ? null : MailboxLanguages.Check(input.Language);

        var name = CheckName(input.Name ?? current.Name);
        var quota = input.Quota ?? current.Quota;
        var active = input.Active ?? current.Active;
        var hash = input.Password is null ? null : passwords.Hash(options.CheckPassword(input.Password));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (quota != current.Quota)
        {
            var domain = (await Domains.FindAsync(connection, current.Domain, cancellationToken, transaction))!;
            await CheckQuotaAsync(connection, transaction, domain, quota, current.Address, cancellationToken);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `mailbox` SET `name` = @name, `quota` = @quota, `active` = @active, `modified` = @now" +
            (hash is null ? string.Empty : ", `password` = @hash") + " WHERE `username` = @address",
            new { name, quota, active = active ? 1 : 0, now = Now, hash, address = current.Address }, transaction, cancellationToken: cancellationToken));
        if (language is not null && language != current.Language)
        {
            await MailboxLanguages.SetAsync(connection, transaction, current.Address, language, cancellationToken);
        }

        if (active != current.Active)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE `alias` SET `active` = @active, `modified` = @now WHERE `address` = @address",
                new { active = active ? 1 : 0, now = Now, address = current.Address }, transaction, cancellationToken: cancellationToken));
        }

        await log.WriteAsync(connection, transaction, actor, current.Domain,
            hash is not null && input.Name is null && input.Quota is null && input.Active is null && input.Language is null
            ? "edit_password" : "edit_mailbox", current.Address, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, current.Address, cancellationToken))!;
    }

    /// <summary>Deletes the mailbox, its alias row, vacation and admin grants; the Maildir only when asked.</summary>
    public async Task DeleteAsync(AdminActor actor, string address, bool removeFiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var parsed = DirectoryNames.Address(address, "address");
        actor.EnsureCanManageMailbox(parsed.Value, parsed.Domain);
        await using var connection = await database.OpenAsync(cancellationToken);
        var current = await FindAsync(connection, null, parsed.Value, cancellationToken) ?? throw AdministrationException.NotFound($"No mailbox {parsed.Value}.");
        // An owner reads and changes their mailbox; removing it is an admin's decision.
        actor.EnsureCanManage(current.Domain);
        // An unsafe maildir (a path out of the store) goes with its row; its files are not touched.
        removeFiles &= Accounts.MaildirPath.IsValid(current.Maildir, out _);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var sql in new[]
                 {
                     "DELETE FROM `vacation_notification` WHERE `on_vacation` = @address",
                     "DELETE FROM `vacation` WHERE `email` = @address",
                     "DELETE FROM `mailbox` WHERE `username` = @address",
                     "DELETE FROM `alias` WHERE `address` = @address",
                     "DELETE FROM `quota2` WHERE `username` = @address",
                     "DELETE FROM `quota` WHERE `username` = @address",
                     "DELETE FROM `fetchmail` WHERE `mailbox` = @address",
                     "DELETE FROM `msl_mailbox_setting` WHERE `username` = @address",
                 })
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, new { address = current.Address }, transaction, cancellationToken: cancellationToken));
        }

        await log.WriteAsync(connection, transaction, actor, current.Domain, "delete_mailbox", current.Address, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await provisioning.DeletedAsync(current.Maildir, removeFiles, cancellationToken);
    }

    private static string CheckName(string name) =>
        // Older PostfixAdmin schemas keep the name in 3-byte utf8: no characters beyond the BMP.
        name.Length > 255 || name.Any(c => char.IsControl(c) || char.IsSurrogate(c))
            ? throw AdministrationException.Invalid("name", "The name is at most 255 characters, without control characters or emoji.")
            : name;

    /// <summary>The quota (bytes) against the domain's largest mailbox quota and its total (PostfixAdmin's rules).</summary>
    private static async Task CheckQuotaAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, DomainView domain, long quota, string? except,
        CancellationToken cancellationToken)
    {
        var maxBytes = domain.MaxQuota * DirectoryAdministration.QuotaMultiplier;
        if (quota > MaxQuotaBytes)
        {
            throw AdministrationException.Invalid("quota", $"The quota is at most {MaxQuotaBytes} bytes.");
        }

        if (quota < 0 || (domain.MaxQuota > 0 && (quota == 0 || quota > maxBytes)))
        {
            throw AdministrationException.Invalid("quota",
                domain.MaxQuota > 0 ? $"The quota is between 1 and {maxBytes} bytes in {domain.Domain}." : "The quota is not negative.");
        }

        if (domain.Quota > 0)
        {
            var used = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COALESCE(SUM(`quota`), 0) FROM `mailbox` WHERE `domain` = @domain AND `username` <> @except",
                new { domain = domain.Domain, except = except ?? string.Empty }, transaction, cancellationToken: cancellationToken));
            if (used + quota > domain.Quota * DirectoryAdministration.QuotaMultiplier)
            {
                throw AdministrationException.Invalid("quota", $"The quotas of {domain.Domain} would pass its total of {domain.Quota} MB.");
            }
        }
    }

    internal static async Task<MailboxView?> FindAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string address, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<MailboxRow>(new CommandDefinition(
            $"SELECT {Columns} FROM `mailbox` WHERE `username` = @address", new { address }, transaction, cancellationToken: cancellationToken));
        return row?.View();
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class MailboxRow
    {
        public string username { get; set; } = string.Empty;

        public string name { get; set; } = string.Empty;

        public long quota { get; set; }

        public long active { get; set; }

        public string domain { get; set; } = string.Empty;

        public string local_part { get; set; } = string.Empty;

        public string maildir { get; set; } = string.Empty;

        public string? language { get; set; }

        public MailboxView View() => new(username, name, quota, active != 0, domain, local_part, maildir) { Language = language ?? string.Empty };
    }
}
