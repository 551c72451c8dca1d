using System.Data.Common;
using Dapper;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Addresses;
using MailServerless.Core.Passwords;
using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Accounts;

/// <summary>
/// <see cref="IAccountDirectory"/> over PostfixAdmin's tables, with the seed's queries
/// (its <c>/etc/postfix/sql/*.cf</c> files and <c>dovecot-sql.conf.ext</c>), parameterised.
/// </summary>
public sealed partial class SqlAccountDirectory(
    DirectoryDatabase database, PasswordService passwords, ILogger<SqlAccountDirectory> logger) : IAccountDirectory
{
    private const string MailboxColumns =
        "`username` AS Username, `name` AS Name, `maildir` AS Maildir, `quota` AS QuotaBytes, " +
        "`local_part` AS LocalPart, `domain` AS Domain";

    public async Task<DomainKind> GetDomainKindAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (!EmailAddress.TryNormalizeDomain(domain, out var name) || name == "all")
        {
            return DomainKind.NotLocal;
        }

        var backupMx = await QueryAsync(
            (c, ct) => c.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                "SELECT `backupmx` FROM `domain` WHERE `domain` = @name AND `active` = 1", new { name }, cancellationToken: ct)),
            cancellationToken);
        return backupMx switch
        {
            null => DomainKind.NotLocal,
            0 => DomainKind.Local,
            _ => DomainKind.BackupMx,
        };
    }

    public async Task<IReadOnlyList<string>?> LookupAliasAsync(string address, CancellationToken cancellationToken = default)
    {
        if (!EmailAddress.TryParse(address, out var key, allowEmptyLocalPart: true) || !key.FitsLatin1)
        {
            return null;
        }

        return await QueryAsync(async (connection, ct) =>
        {
            var target = await AliasDomainTargetAsync(connection, key.Domain, ct);

            // Postfix tries the whole address in every map, in map order, before the @domain key:
            // alias (exact), alias-domain rewrite, alias-domain catch-all; then @domain.
            var candidates = new List<string> { key.Value };
            if (target is not null)
            {
                if (key.LocalPart.Length > 0)
                {
                    candidates.Add($"{key.LocalPart}@{target}");
                }

                candidates.Add($"@{target}");
            }

            candidates.Add($"@{key.Domain}");
            var rows = (await connection.QueryAsync<(string Address, string Goto)>(new CommandDefinition(
                "SELECT `address`, `goto` FROM `alias` WHERE `address` IN @candidates AND `active` = 1",
                new { candidates }, cancellationToken: ct))).ToList();
            foreach (var candidate in candidates)
            {
                var row = rows.FirstOrDefault(r => string.Equals(r.Address, candidate, StringComparison.OrdinalIgnoreCase));
                if (row.Address is not null)
                {
                    return SplitGoto(row.Goto);
                }
            }

            return null;
        }, cancellationToken);
    }

    public async Task<Mailbox?> FindMailboxAsync(string address, CancellationToken cancellationToken = default)
    {
        if (!EmailAddress.TryParse(address, out var key) || !key.FitsLatin1)
        {
            return null;
        }

        return await QueryAsync(async (connection, ct) =>
        {
            var mailbox = await ActiveMailboxAsync(connection, key.Value, ct);
            if (mailbox is null && await AliasDomainTargetAsync(connection, key.Domain, ct) is { } target)
            {
                mailbox = await ActiveMailboxAsync(connection, $"{key.LocalPart}@{target}", ct);
            }

            return mailbox;
        }, cancellationToken);
    }

    public async Task<AuthenticationResult> AuthenticateAsync(
        string address, string password, CancellationToken cancellationToken = default)
    {
        if (!EmailAddress.TryParse(address, out var key) || !key.FitsLatin1)
        {
            passwords.SpendCheckTime(password);
            LogAuthFailure(Diagnostics.LogText.Safe(address), "not a directory address");
            return AuthenticationResult.Failed("not a directory address");
        }

        var row = await QueryAsync(
            (c, ct) => c.QueryFirstOrDefaultAsync<MailboxWithPassword>(new CommandDefinition(
                "SELECT m.`username` AS Username, m.`name` AS Name, m.`maildir` AS Maildir, m.`quota` AS QuotaBytes, " +
                "m.`local_part` AS LocalPart, m.`domain` AS Domain, m.`password` AS Password " +
                "FROM `mailbox` m JOIN `domain` d ON d.`domain` = m.`domain` " +
                "WHERE m.`username` = @username AND m.`active` = 1 AND d.`active` = 1",
                new { username = key.Value }, cancellationToken: ct)),
            cancellationToken);
        if (row is null)
        {
            // As long as a wrong password for a mailbox that exists: timing must not tell which ones do.
            passwords.SpendCheckTime(password);
            LogAuthFailure(key.Value, "no active mailbox");
            return AuthenticationResult.Failed("no active mailbox");
        }

        var check = passwords.Verify(password, row.Password, key.Value);
        if (!check.Succeeded)
        {
            return AuthenticationResult.Failed(check.FailureReason ?? "password mismatch");
        }

        var mailbox = row.ToMailbox();
        if (!MaildirPath.IsValid(mailbox.Maildir, out var reason))
        {
            LogAuthFailure(key.Value, reason);
            return AuthenticationResult.Failed(reason);
        }

        return new AuthenticationResult(mailbox, null);
    }

    private static async Task<string?> AliasDomainTargetAsync(DbConnection connection, string domain, CancellationToken ct) =>
        await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT `target_domain` FROM `alias_domain` WHERE `alias_domain` = @domain AND `active` = 1",
            new { domain }, cancellationToken: ct));

    private static async Task<Mailbox?> ActiveMailboxAsync(DbConnection connection, string username, CancellationToken ct)
    {
        var row = await connection.QueryFirstOrDefaultAsync<MailboxWithPassword>(new CommandDefinition(
            $"SELECT {MailboxColumns}, '' AS Password FROM `mailbox` WHERE `username` = @username AND `active` = 1",
            new { username }, cancellationToken: ct));
        return row?.ToMailbox();
    }

    private static List<string> SplitGoto(string? value) =>
        (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private async Task<T> QueryAsync<T>(Func<DbConnection, CancellationToken, Task<T>> query, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            return await query(connection, cancellationToken);
        }
        catch (Exception e) when (e is DbException or System.Net.Sockets.SocketException or TimeoutException
                                       or InvalidOperationException)
        {
            LogUnavailable(database.Description, e.Message);
            throw new DirectoryUnavailableException($"The directory at {database.Description} did not answer: {e.Message}", e);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Authentication failed for {User}: {Reason}")]
    private partial void LogAuthFailure(string user, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Directory {Database} unavailable: {Reason}")]
    private partial void LogUnavailable(string database, string reason);

    private sealed class MailboxWithPassword
    {
        public string Username { get; set; } = string.Empty;

        public string Name { get; set; } = string.Empty;

        public string Maildir { get; set; } = string.Empty;

        public long QuotaBytes { get; set; }

        public string LocalPart { get; set; } = string.Empty;

        public string Domain { get; set; } = string.Empty;

        public string Password { get; set; } = string.Empty;

        public Mailbox ToMailbox() => new(Username, Name, Maildir, QuotaBytes, LocalPart, Domain);
    }
}
