using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Administration;

/// <summary>A domain as the API shows it: PostfixAdmin's columns (quotas in MB, limits with -1 = none allowed, 0 = unlimited).</summary>
public sealed record DomainView(
    string Domain, string Description, int Aliases, int Mailboxes, long MaxQuota, long Quota, string Transport, bool BackupMx, bool Active,
    long AliasCount, long MailboxCount);

/// <summary>
/// Fields of a domain to create or change; null leaves a field as it is (or at PostfixAdmin's default on create).
/// <see cref="MaxQuota"/> and <see cref="Quota"/> are megabytes, or sizes with a unit in JSON (<c>"1G"</c>);
/// <see cref="Postmaster"/> is where the default aliases point (on a change: where they point from now on).
/// </summary>
public sealed record DomainInput(
    string? Domain = null, string? Description = null, int? Aliases = null, int? Mailboxes = null,
    [property: System.Text.Json.Serialization.JsonConverter(typeof(MegabytesJsonConverter))] long? MaxQuota = null,
    [property: System.Text.Json.Serialization.JsonConverter(typeof(MegabytesJsonConverter))] long? Quota = null,
    bool? BackupMx = null, bool? Active = null, string? Transport = null, string? Postmaster = null);

/// <summary>Domains (PostfixAdmin's <c>domain</c> table): created and deleted by superadmins, edited by their admins.</summary>
public sealed class Domains(DirectoryDatabase database, AdministrationLog log, AdministrationOptions options, TimeProvider clock)
{
    private const string Columns =
        "d.`domain`, d.`description`, d.`aliases`, d.`mailboxes`, d.`maxquota`, d.`quota`, d.`transport`, d.`backupmx`, d.`active`, " +
        "(SELECT COUNT(*) FROM `alias` a WHERE a.`domain` = d.`domain` AND a.`address` NOT IN (SELECT `username` FROM `mailbox` m WHERE m.`domain` = d.`domain`)) AS alias_count, " +
        "(SELECT COUNT(*) FROM `mailbox` m WHERE m.`domain` = d.`domain`) AS mailbox_count";

    private string Now => clock.DirectoryNow();

    public async Task<Page<DomainView>> ListAsync(AdminActor actor, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        (page, var domains) = page.For(actor);

        // PostfixAdmin keeps a pseudo-domain 'ALL' for superadmins in domain_admins, never in domain; skip it anyway.
        var filter = PageRequest.Where(
            "d.`domain` <> 'ALL'", domains is null ? null : "d.`domain` IN @domains", page.SearchCondition(database.Dialect, "d.`domain`", "d.`description`"));
        var search = page.SearchPattern;
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM `domain` d {filter}", new { domains, search }, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<DomainRow>(new CommandDefinition(
            $"SELECT {Columns} FROM `domain` d {filter} ORDER BY d.`domain` LIMIT @limit OFFSET @offset",
            new { domains, search, limit = page.Limit, offset = page.Offset }, cancellationToken: cancellationToken));
        return new Page<DomainView>(rows.Select(r => r.View()).ToList(), total, page.Offset, page.Limit);
    }

    public async Task<DomainView> GetAsync(AdminActor actor, string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        domain = DirectoryNames.Domain(domain, "domain");
        actor.EnsureCanManage(domain);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, domain, cancellationToken) ?? throw AdministrationException.NotFound($"No domain {domain}.");
    }

    /// <summary>
    /// Adds a domain with the configured defaults (PostfixAdmin's) and its default aliases (abuse, hostmaster,
    /// postmaster, webmaster; RFC 2142). They point at <see cref="DomainInput.Postmaster"/>, else at
    /// <see cref="AdministrationOptions.DefaultAliasTarget"/>, which must be a mailbox or an outside address, so that
    /// postmaster reaches a person (RFC 5321 §4.5.1); with neither, the domain's first mailbox gets them
    /// (<see cref="Mailboxes.CreateAsync"/>).
    /// </summary>
    public async Task<DomainView> CreateAsync(AdminActor actor, DomainInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        actor.EnsureSuperadmin();
        var domain = DirectoryNames.Domain(input.Domain, "domain");
        var values = Validate(input, Defaults(domain));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var taken = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM `domain` WHERE `domain` = @domain) + (SELECT COUNT(*) FROM `alias_domain` WHERE `alias_domain` = @domain)",
            new { domain }, transaction, cancellationToken: cancellationToken));
        if (taken > 0)
        {
            throw AdministrationException.Conflict($"The domain {domain} exists already (as a domain or an alias domain).");
        }

        var postmaster = values.BackupMx ? null : await PostmasterAsync(connection, transaction, domain, input.Postmaster, creating: true, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `domain` (`domain`, `description`, `aliases`, `mailboxes`, `maxquota`, `quota`, `transport`, `backupmx`, " +
            "`created`, `modified`, `active`) VALUES (@domain, @description, @aliases, @mailboxes, @maxQuota, @quota, @transport, " +
            "@backupMx, @now, @now, @active)",
            new
            {
                domain, description = values.Description, aliases = values.Aliases, mailboxes = values.Mailboxes,
                maxQuota = values.MaxQuota, quota = values.Quota, transport = values.Transport, backupMx = values.BackupMx ? 1 : 0,
                now = Now, active = values.Active ? 1 : 0,
            },
            transaction, cancellationToken: cancellationToken));
        if (postmaster is not null)
        {
            await DefaultAliases.WriteAsync(connection, transaction, domain, postmaster, options.DefaultAliasLocalParts, Now, replace: false, cancellationToken);
        }

        await log.WriteAsync(connection, transaction, actor, domain, "create_domain", domain, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, domain, cancellationToken))!;
    }

    /// <summary>A new domain's limits: the configured defaults (PostfixAdmin's <c>$CONF</c> values).</summary>
    private DomainView Defaults(string domain) => new(
        domain, string.Empty, options.DomainAliases, options.DomainMailboxes,
        Sizes.Megabytes(options.DomainMaxQuota, "Mail:Admin:DomainMaxQuota"), Sizes.Megabytes(options.DomainQuota, "Mail:Admin:DomainQuota"),
        "virtual", false, true, 0, 0);

    /// <summary>
    /// Where the default aliases of <paramref name="domain"/> point: the given address, else (for a new domain) the
    /// configured one, else none yet. It must take mail: an outside address, or a mailbox or alias here (for a new
    /// domain not one of its own, since it has none yet).
    /// </summary>
    private async Task<string?> PostmasterAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string domain, string? given,
        bool creating, CancellationToken cancellationToken)
    {
        var field = given is null ? "Mail:Admin:DefaultAliasTarget" : "postmaster";
        var text = given ?? (creating ? options.DefaultAliasTarget : null);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var target = DirectoryNames.Address(text, field);
        if (creating && target.Domain == domain)
        {
            throw AdministrationException.Invalid(field,
                $"{target.Value} is in the new domain, which has no mailboxes yet: leave the postmaster out, and the domain's first mailbox gets its mail.");
        }

        var here = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM `domain` WHERE `domain` = @domain) + (SELECT COUNT(*) FROM `alias_domain` WHERE `alias_domain` = @domain)",
            new { domain = target.Domain }, transaction, cancellationToken: cancellationToken));
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM `mailbox` WHERE `username` = @address) + (SELECT COUNT(*) FROM `alias` WHERE `address` = @address)",
            new { address = target.Value }, transaction, cancellationToken: cancellationToken));
        return here == 0 || exists > 0
            ? target.Value
            : throw AdministrationException.Invalid(field, $"{target.Value} is neither a mailbox nor an alias here: mail to postmaster would bounce.");
    }

    /// <summary>Changes a domain's settings; limits only by a superadmin, description and active also by its admins.</summary>
    public async Task<DomainView> UpdateAsync(AdminActor actor, string domain, DomainInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var current = await GetAsync(actor, domain, cancellationToken);
        if (input.Domain is not null && DirectoryNames.Domain(input.Domain, "domain") != current.Domain)
        {
            throw AdministrationException.Invalid("domain", "A domain cannot be renamed.");
        }

        if (!actor.IsSuperadmin && (input.Aliases ?? input.Mailboxes ?? (object?)input.MaxQuota ?? (object?)input.Quota ?? input.BackupMx ?? (object?)input.Transport) is not null)
        {
            throw AdministrationException.Forbidden("Only a superadmin may change a domain's limits.");
        }

        var values = Validate(input, current);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `domain` SET `description` = @description, `aliases` = @aliases, `mailboxes` = @mailboxes, `maxquota` = @maxQuota, " +
            "`quota` = @quota, `transport` = @transport, `backupmx` = @backupMx, `active` = @active, `modified` = @now WHERE `domain` = @domain",
            new
            {
                domain = current.Domain, description = values.Description, aliases = values.Aliases, mailboxes = values.Mailboxes,
                maxQuota = values.MaxQuota, quota = values.Quota, transport = values.Transport, backupMx = values.BackupMx ? 1 : 0,
                active = values.Active ? 1 : 0, now = Now,
            },
            transaction, cancellationToken: cancellationToken));
        if (input.Postmaster is not null)
        {
            if (values.BackupMx)
            {
                throw AdministrationException.Invalid("postmaster", $"{current.Domain} is a backup MX domain: its postmaster is at the primary.");
            }

            var postmaster = await PostmasterAsync(connection, transaction, current.Domain, input.Postmaster, creating: false, cancellationToken);
            await DefaultAliases.WriteAsync(connection, transaction, current.Domain, postmaster!, options.DefaultAliasLocalParts, Now, replace: true, cancellationToken);
        }

        await log.WriteAsync(connection, transaction, actor, current.Domain, "edit_domain", current.Domain, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, current.Domain, cancellationToken))!;
    }

    /// <summary>
    /// Deletes a domain (superadmin). While it has mailboxes this is refused (409) unless <paramref name="cascade"/>:
    /// then its mailboxes, aliases, alias domains, vacation rows and admin grants go too, as PostfixAdmin's delete does.
    /// Returns the mailboxes removed (their Maildirs are the caller's to remove or keep).
    /// </summary>
    public async Task<IReadOnlyList<string>> DeleteAsync(AdminActor actor, string domain, bool cascade, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.EnsureSuperadmin();
        var current = await GetAsync(actor, domain, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var maildirs = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT `maildir` FROM `mailbox` WHERE `domain` = @domain", new { domain = current.Domain }, transaction,
            cancellationToken: cancellationToken))).ToList();
        if (maildirs.Count > 0 && !cascade)
        {
            throw AdministrationException.Conflict($"The domain {current.Domain} still has {maildirs.Count} mailbox(es); delete them first or ask for a cascade.");
        }

        foreach (var sql in new[]
                 {
                     "DELETE FROM `vacation_notification` WHERE `on_vacation` IN (SELECT `email` FROM `vacation` WHERE `domain` = @domain)",
                     "DELETE FROM `vacation` WHERE `domain` = @domain",
                     "DELETE FROM `quota2` WHERE `username` IN (SELECT `username` FROM `mailbox` WHERE `domain` = @domain)",
                     "DELETE FROM `quota` WHERE `username` IN (SELECT `username` FROM `mailbox` WHERE `domain` = @domain)",
                     "DELETE FROM `fetchmail` WHERE `domain` = @domain",
                     "DELETE FROM `mailbox` WHERE `domain` = @domain",
                     "DELETE FROM `alias` WHERE `domain` = @domain",
                     "DELETE FROM `alias_domain` WHERE `alias_domain` = @domain OR `target_domain` = @domain",
                     "DELETE FROM `domain_admins` WHERE `domain` = @domain",
                     "DELETE FROM `domain` WHERE `domain` = @domain",
                 })
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, new { domain = current.Domain }, transaction, cancellationToken: cancellationToken));
        }

        await log.WriteAsync(connection, transaction, actor, current.Domain, "delete_domain", current.Domain, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return maildirs;
    }

    private static DomainView Validate(DomainInput input, DomainView current)
    {
        var description = input.Description ?? current.Description;
        if (description.Length > 255 || description.Any(c => char.IsControl(c) || char.IsSurrogate(c)))
        {
            // PostfixAdmin's column is utf8 (3 bytes): no emoji or other characters beyond the BMP.
            throw AdministrationException.Invalid("description", "The description is at most 255 characters, without control characters or emoji.");
        }

        static int Limit(int? value, int current, string field) =>
            value is null ? current : value >= -1 ? value.Value : throw AdministrationException.Invalid(field, $"{field} is -1 (none), 0 (unlimited) or a count.");

        // At most 10^9 MB (about 1 PB): the products with PostfixAdmin's multiplier stay far inside a long.
        static long Megabytes(long? value, long current, string field) =>
            value is null ? current : value is >= -1 and <= 1_000_000_000 ? value.Value : throw AdministrationException.Invalid(field, $"{field} is -1, 0 (unlimited) or megabytes (at most 10^9).");

        var transport = input.Transport?.Trim() ?? current.Transport;
        if (transport.Length is 0 or > 255 || transport.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || !char.IsAscii(c)))
        {
            throw AdministrationException.Invalid("transport", "The transport is Postfix's transport (virtual, or such as relay:[host]:25), without spaces.");
        }

        return current with
        {
            Description = description,
            Transport = transport,
            Aliases = Limit(input.Aliases, current.Aliases, "aliases"),
            Mailboxes = Limit(input.Mailboxes, current.Mailboxes, "mailboxes"),
            MaxQuota = Megabytes(input.MaxQuota, current.MaxQuota, "maxQuota"),
            Quota = Megabytes(input.Quota, current.Quota, "quota"),
            BackupMx = input.BackupMx ?? current.BackupMx,
            Active = input.Active ?? current.Active,
        };
    }

    internal static async Task<DomainView?> FindAsync(
        System.Data.Common.DbConnection connection, string domain, CancellationToken cancellationToken, System.Data.Common.DbTransaction? transaction = null)
    {
        var row = await connection.QuerySingleOrDefaultAsync<DomainRow>(new CommandDefinition(
            $"SELECT {Columns} FROM `domain` d WHERE d.`domain` = @domain", new { domain }, transaction, cancellationToken: cancellationToken));
        return row?.View();
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class DomainRow
    {
        public string domain { get; set; } = string.Empty;

        public string description { get; set; } = string.Empty;

        public long aliases { get; set; }

        public long mailboxes { get; set; }

        public long maxquota { get; set; }

        public long quota { get; set; }

        public string? transport { get; set; }

        public long backupmx { get; set; }

        public long active { get; set; }

        public long alias_count { get; set; }

        public long mailbox_count { get; set; }

        public DomainView View() => new(
            domain, description, (int)aliases, (int)mailboxes, maxquota, quota, transport ?? string.Empty, backupmx != 0, active != 0, alias_count, mailbox_count);
    }
}
