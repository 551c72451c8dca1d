using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Configuration;

namespace MailServerless.Core.Administration;

/// <summary>A mailbox's vacation auto-reply (PostfixAdmin's <c>vacation</c> row).</summary>
public sealed record VacationView(string Address, bool Active, string Subject, string Body, DateTime ActiveFrom, DateTime ActiveUntil, int IntervalTime);

/// <summary>Fields of a vacation to set; null keeps the current value (or the default for a new one).</summary>
public sealed record VacationInput(bool? Active = null, string? Subject = null, string? Body = null, DateTime? ActiveFrom = null, DateTime? ActiveUntil = null, int? IntervalTime = null);

/// <summary>
/// Vacation auto-replies as PostfixAdmin keeps them: a <c>vacation</c> row, and while it is active an extra
/// target <c>local#domain@&lt;vacation domain&gt;</c> in the mailbox's alias (<c>Mail:VacationDomain</c>, PostfixAdmin's
/// <c>vacation_domain</c>), through which delivery hands the message to the auto-reply.
/// </summary>
public sealed class Vacations(DirectoryDatabase database, AdministrationLog log, MailOptions mail, TimeProvider clock)
{
    private static readonly DateTime DefaultFrom = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    private static readonly DateTime DefaultUntil = new(2038, 1, 18, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary>PostfixAdmin's <c>activefrom</c> of a vacation without a first day.</summary>
    public static DateTime NoStart => DefaultFrom;

    /// <summary>PostfixAdmin's <c>activeuntil</c> of a vacation without a last day.</summary>
    public static DateTime NoEnd => DefaultUntil;

    private string Now => clock.DirectoryNow();

    /// <summary>The vacation address PostfixAdmin puts in the alias: <c>user#example.jp@autoreply.example.jp</c>.</summary>
    public string VacationAddress(string mailbox) => AddressFor(mailbox, mail.EffectiveVacationDomain);

    public static string AddressFor(string mailbox, string vacationDomain) => mailbox.Replace('@', '#') + "@" + vacationDomain;

    /// <summary>The mailbox's vacation; an inactive empty one when none was ever set.</summary>
    public async Task<VacationView> GetAsync(AdminActor actor, string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var mailbox = await MailboxAsync(actor, address, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, null, mailbox.Address, cancellationToken)
               ?? new VacationView(mailbox.Address, false, string.Empty, string.Empty, DefaultFrom, DefaultUntil, 0);
    }

    public async Task<VacationView> SetAsync(AdminActor actor, string address, VacationInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(input);
        var mailbox = await MailboxAsync(actor, address, cancellationToken);
        var current = await GetAsync(actor, mailbox.Address, cancellationToken);
        var next = current with
        {
            Active = input.Active ?? current.Active,
            Subject = input.Subject ?? current.Subject,
            Body = input.Body ?? current.Body,
            ActiveFrom = input.ActiveFrom ?? current.ActiveFrom,
            ActiveUntil = input.ActiveUntil ?? current.ActiveUntil,
            IntervalTime = input.IntervalTime ?? current.IntervalTime,
        };
        if (next.Subject.Length > 255 || next.Subject.Any(char.IsControl))
        {
            throw AdministrationException.Invalid("subject", "The subject is at most 255 characters, on one line.");
        }

        // The column is TEXT: 65,535 bytes of UTF-8.
        if (System.Text.Encoding.UTF8.GetByteCount(next.Body) > 65_535)
        {
            throw AdministrationException.Invalid("body", "The body is at most 65,535 bytes of UTF-8.");
        }

        if (next.Active && next.Subject.Length == 0)
        {
            throw AdministrationException.Invalid("subject", "An active vacation needs a subject.");
        }

        // PostfixAdmin's columns are MySQL timestamps: 1970 to January 2038.
        if (next.ActiveFrom < new DateTime(1970, 1, 2) || next.ActiveUntil > new DateTime(2038, 1, 19))
        {
            throw AdministrationException.Invalid(next.ActiveFrom < new DateTime(1970, 1, 2) ? "activeFrom" : "activeUntil",
                "Vacation dates lie between 1970-01-02 and 2038-01-19.");
        }

        if (next.ActiveUntil <= next.ActiveFrom)
        {
            throw AdministrationException.Invalid("activeUntil", "The vacation must end after it starts.");
        }

        if (next.IntervalTime < 0)
        {
            throw AdministrationException.Invalid("intervalTime", "The interval is 0 (reply once) or seconds between replies to one sender.");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parameters = new
        {
            email = mailbox.Address, subject = next.Subject, body = next.Body, domain = mailbox.Domain, now = Now, active = next.Active ? 1 : 0,
            from = DirectoryTime.Format(next.ActiveFrom), until = DirectoryTime.Format(next.ActiveUntil), interval = next.IntervalTime,
        };
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `vacation` SET `subject` = @subject, `body` = @body, `active` = @active, `modified` = @now, `activefrom` = @from, " +
            "`activeuntil` = @until, `interval_time` = @interval WHERE `email` = @email", parameters, transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `vacation` (`email`, `subject`, `body`, `cache`, `domain`, `created`, `active`, `modified`, `activefrom`, `activeuntil`, `interval_time`) " +
                "VALUES (@email, @subject, @body, '', @domain, @now, @active, @now, @from, @until, @interval)", parameters, transaction, cancellationToken: cancellationToken));
        }

        // A new vacation answers every sender again (PostfixAdmin empties the notification list too).
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `vacation_notification` WHERE `on_vacation` = @email", parameters, transaction, cancellationToken: cancellationToken));
        await SetGotoAsync(connection, transaction, mailbox.Address, next.Active, cancellationToken);
        await log.WriteAsync(connection, transaction, actor, mailbox.Domain, next.Active ? "edit_vacation_active" : "edit_vacation_inactive", mailbox.Address, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(connection, null, mailbox.Address, cancellationToken))!;
    }

    public async Task DeleteAsync(AdminActor actor, string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var mailbox = await MailboxAsync(actor, address, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `vacation_notification` WHERE `on_vacation` = @email", new { email = mailbox.Address }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `vacation` WHERE `email` = @email", new { email = mailbox.Address }, transaction, cancellationToken: cancellationToken));
        await SetGotoAsync(connection, transaction, mailbox.Address, false, cancellationToken);
        await log.WriteAsync(connection, transaction, actor, mailbox.Domain, "edit_vacation_inactive", mailbox.Address, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Adds or removes the vacation address in the mailbox's alias, keeping its other targets.</summary>
    private async Task SetGotoAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string mailbox, bool active, CancellationToken cancellationToken)
    {
        var alias = await Aliases.FindAsync(connection, transaction, mailbox, cancellationToken);
        var targets = alias?.Goto.ToList() ?? [mailbox];
        var vacation = VacationAddress(mailbox);
        targets.RemoveAll(t => string.Equals(t, vacation, StringComparison.OrdinalIgnoreCase));
        if (active)
        {
            targets.Add(vacation);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `alias` SET `goto` = @goto, `modified` = @now WHERE `address` = @address",
            new { @goto = string.Join(',', targets), now = Now, address = mailbox }, transaction, cancellationToken: cancellationToken));
    }

    private async Task<MailboxView> MailboxAsync(AdminActor actor, string address, CancellationToken cancellationToken)
    {
        var parsed = DirectoryNames.Address(address, "address");
        actor.EnsureCanManageMailbox(parsed.Value, parsed.Domain);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Mailboxes.FindAsync(connection, null, parsed.Value, cancellationToken) ?? throw AdministrationException.NotFound($"No mailbox {parsed.Value}.");
    }

    private static async Task<VacationView?> FindAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string email, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT `email`, `subject`, `body`, `active`, `activefrom`, `activeuntil`, `interval_time` FROM `vacation` WHERE `email` = @email",
            new { email }, transaction, cancellationToken: cancellationToken));
        return row is null
            ? null
            : new VacationView(row.email, row.active != 0, row.subject, row.body,
                Convert.ToDateTime(row.activefrom, CultureInfo.InvariantCulture), Convert.ToDateTime(row.activeuntil, CultureInfo.InvariantCulture), (int)row.interval_time);
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class Row
    {
        public string email { get; set; } = string.Empty;

        public string subject { get; set; } = string.Empty;

        public string body { get; set; } = string.Empty;

        public long active { get; set; }

        public object activefrom { get; set; } = string.Empty;

        public object activeuntil { get; set; } = string.Empty;

        public long interval_time { get; set; }
    }
}
