using System.Data.Common;
using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Administration;

/// <summary>An entry of PostfixAdmin's <c>log</c> table.</summary>
public sealed record LogEntry(long Id, DateTime Timestamp, string Username, string Domain, string Action, string Data);

/// <summary>
/// PostfixAdmin's <c>log</c> table, written as PostfixAdmin writes it — <c>username</c> "admin (client)",
/// <c>action</c> such as <c>create_mailbox</c>, <c>data</c> the object — so its own log view shows our changes.
/// </summary>
public sealed class AdministrationLog(DirectoryDatabase database, TimeProvider clock)
{
    public async Task WriteAsync(
        DbConnection connection, DbTransaction? transaction, AdminActor actor, string domain, string action, string data,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO `log` (`timestamp`, `username`, `domain`, `action`, `data`) VALUES (@now, @username, @domain, @action, @data)",
            new
            {
                now = clock.DirectoryNow(),
                username = actor.LogName,
                domain,
                action,
                // `data` is TEXT (65,535 bytes); a long goto list is cut rather than refused.
                data = data.Length > 20_000 ? data[..20_000] + "..." : data,
            },
            transaction, cancellationToken: cancellationToken));
    }

    /// <summary>An entry on its own, for an action that changes nothing in the directory (the queue tools).</summary>
    public async Task WriteAsync(AdminActor actor, string domain, string action, string data, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await WriteAsync(connection, null, actor, domain, action, data, cancellationToken);
    }

    /// <summary>Newest first; a domain admin sees only the entries of their domains.</summary>
    public async Task<Page<LogEntry>> ListAsync(AdminActor actor, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        (page, var domains) = page.For(actor);
        var filter = PageRequest.Where(domains is null ? null : "`domain` IN @domains", page.SearchCondition(database.Dialect, "`username`", "`action`", "`data`"));
        var search = page.SearchPattern;
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM `log` " + filter, new { domains, search }, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<LogRow>(new CommandDefinition(
            "SELECT `id`, `timestamp`, `username`, `domain`, `action`, `data` FROM `log` " + filter +
            "ORDER BY `id` DESC LIMIT @limit OFFSET @offset",
            new { domains, search, limit = page.Limit, offset = page.Offset }, cancellationToken: cancellationToken));
        return new Page<LogEntry>(
            rows.Select(r => new LogEntry(r.id, Convert.ToDateTime(r.timestamp, CultureInfo.InvariantCulture), r.username, r.domain, r.action, r.data))
                .ToList(),
            total, page.Offset, page.Limit);
    }

    /// <summary>The row as Dapper reads it (SQLite gives text for datetime columns, MySQL a DateTime).</summary>
    private sealed class LogRow
    {
        public long id { get; set; }

        public object timestamp { get; set; } = string.Empty;

        public string username { get; set; } = string.Empty;

        public string domain { get; set; } = string.Empty;

        public string action { get; set; } = string.Empty;

        public string data { get; set; } = string.Empty;
    }
}
