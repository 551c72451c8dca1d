using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Addresses;
using MailServerless.Core.Passwords;

namespace MailServerless.Core.Accounts;

/// <summary>
/// Writes to the directory the way PostfixAdmin 3.3 writes them, so Postfix, Dovecot and
/// PostfixAdmin itself read our rows unchanged: a self-alias per mailbox, <c>maildir</c> as
/// <c>domain/local/</c>, quota in bytes, superadmins with a <c>domain_admins</c> row for 'ALL'.
/// </summary>
public sealed class DirectoryAdministration(DirectoryDatabase database, PasswordService passwords, TimeProvider clock)
{
    /// <summary>PostfixAdmin multiplies a quota in MB by this to store bytes (<c>$CONF['quota_multiplier']</c>).</summary>
    public const long QuotaMultiplier = 1024000;

    private string Now => clock.DirectoryNow();

    public async Task<bool> AnySuperadminAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `admin` WHERE `superadmin` = 1 AND `active` = 1", cancellationToken: cancellationToken));
        return count > 0;
    }

    /// <summary>Creates a superadmin, or resets the password of an existing admin and makes it super.</summary>
    public async Task CreateOrResetSuperadminAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var address = EmailAddress.Parse(username);
        var hash = passwords.Hash(password);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `admin` SET `password` = @hash, `superadmin` = 1, `active` = 1, `modified` = @now WHERE `username` = @username",
            new { hash, now = Now, username = address.Value }, transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `admin` (`username`, `password`, `created`, `modified`, `active`, `superadmin`) " +
                "VALUES (@username, @hash, @now, @now, 1, 1)",
                new { username = address.Value, hash, now = Now }, transaction, cancellationToken: cancellationToken));
        }

        var hasAll = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `domain_admins` WHERE `username` = @username AND `domain` = 'ALL'",
            new { username = address.Value }, transaction, cancellationToken: cancellationToken));
        if (hasAll == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `domain_admins` (`username`, `domain`, `created`, `active`) VALUES (@username, 'ALL', @now, 1)",
                new { username = address.Value, now = Now }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Adds a domain; limits and quotas in PostfixAdmin's units (MB for quotas).</summary>
    public async Task CreateDomainAsync(DomainSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var domain = EmailAddress.NormalizeDomain(settings.Domain);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `domain` (`domain`, `description`, `aliases`, `mailboxes`, `maxquota`, `quota`, `transport`, " +
            "`backupmx`, `created`, `modified`, `active`) " +
            "VALUES (@domain, @description, @aliases, @mailboxes, @maxQuota, @quota, @transport, @backupMx, @now, @now, @active)",
            new
            {
                domain,
                description = settings.Description,
                aliases = settings.MaxAliases,
                mailboxes = settings.MaxMailboxes,
                maxQuota = settings.MaxQuotaMb,
                quota = settings.DomainQuotaMb,
                transport = settings.Transport,
                backupMx = settings.BackupMx ? 1 : 0,
                now = Now,
                active = settings.Active ? 1 : 0,
            },
            cancellationToken: cancellationToken));
    }

    /// <summary>Adds a mailbox and its self-alias, as PostfixAdmin does.</summary>
    public async Task<Mailbox> CreateMailboxAsync(
        string username, string password, string name, long quotaBytes, bool active = true,
        CancellationToken cancellationToken = default)
    {
        var address = EmailAddress.Parse(username);
        var maildir = MaildirPath.ForAddress(address.LocalPart, address.Domain);
        var hash = passwords.Hash(password);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `mailbox` (`username`, `password`, `name`, `maildir`, `quota`, `local_part`, `domain`, " +
            "`created`, `modified`, `active`) " +
            "VALUES (@username, @hash, @name, @maildir, @quotaBytes, @localPart, @domain, @now, @now, @active)",
            new
            {
                username = address.Value, hash, name, maildir, quotaBytes, localPart = address.LocalPart,
                domain = address.Domain, now = Now, active = active ? 1 : 0,
            },
            transaction, cancellationToken: cancellationToken));
        await InsertAliasAsync(connection, transaction, address.Value, address.Value, address.Domain, active, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Mailbox(address.Value, name, maildir, quotaBytes, address.LocalPart, address.Domain);
    }

    /// <summary>Adds an alias (<c>@domain</c> for a catch-all) with its targets.</summary>
    public async Task CreateAliasAsync(
        string address, IEnumerable<string> targets, bool active = true, CancellationToken cancellationToken = default)
    {
        var key = EmailAddress.Parse(address, allowEmptyLocalPart: true);
        var gotoList = targets.Select(t => t.Trim()).Where(t => t.Length > 0).ToList();
        if (gotoList.Count == 0)
        {
            throw new ArgumentException("An alias needs at least one target.", nameof(targets));
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await InsertAliasAsync(connection, null, key.Value, string.Join(',', gotoList), key.Domain, active, cancellationToken);
    }

    /// <summary>Makes every <c>user@alias</c> an address of <c>user@target</c>.</summary>
    public async Task CreateAliasDomainAsync(
        string aliasDomain, string targetDomain, bool active = true, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `alias_domain` (`alias_domain`, `target_domain`, `created`, `modified`, `active`) " +
            "VALUES (@alias, @target, @now, @now, @active)",
            new
            {
                alias = EmailAddress.NormalizeDomain(aliasDomain),
                target = EmailAddress.NormalizeDomain(targetDomain),
                now = Now,
                active = active ? 1 : 0,
            },
            cancellationToken: cancellationToken));
    }

    private async Task InsertAliasAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction,
        string address, string gotoValue, string domain, bool active, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `alias` (`address`, `goto`, `domain`, `created`, `modified`, `active`) " +
            "VALUES (@address, @gotoValue, @domain, @now, @now, @active)",
            new { address, gotoValue, domain, now = Now, active = active ? 1 : 0 },
            transaction, cancellationToken: cancellationToken));
}

/// <summary>Times as PostfixAdmin writes them into its datetime columns: local time, to the second.</summary>
public static class DirectoryTime
{
    public static string DirectoryNow(this TimeProvider clock) => Format(clock.GetLocalNow().DateTime);

    public static string Format(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}

/// <summary>A domain row's settings, with PostfixAdmin's defaults (<c>config.inc.php</c>).</summary>
public sealed record DomainSettings(string Domain)
{
    public string Description { get; init; } = string.Empty;

    public int MaxAliases { get; init; } = 10;

    public int MaxMailboxes { get; init; } = 10;

    /// <summary>Largest quota of one mailbox, MB; 0 = unlimited.</summary>
    public long MaxQuotaMb { get; init; } = 10;

    /// <summary>Quota of the whole domain, MB; 0 = unlimited.</summary>
    public long DomainQuotaMb { get; init; } = 2048;

    public string Transport { get; init; } = "virtual";

    public bool BackupMx { get; init; }

    public bool Active { get; init; } = true;
}
