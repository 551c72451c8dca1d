using System.Data.Common;
using System.Globalization;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Queue;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// PostfixAdmin's vacation, for the <c>user#domain@vacation-domain</c> targets delivery hands over: the
/// mailbox's active <c>vacation</c> row answers the sender once per <c>interval_time</c> (0: only once),
/// remembered in <c>vacation_notification</c>; nothing goes to lists, bulk or automatic mail (RFC 3834).
/// The reply has the null envelope sender and <c>Auto-Submitted: auto-replied</c>, and goes through the
/// inbound queue, so a local sender gets it in its Maildir and an outside one through the relay.
/// </summary>
public sealed partial class VacationResponder(
    DirectoryDatabase database, IBlobStore blobs, IMessageQueue inbound, TimeProvider clock, ILogger<VacationResponder> logger)
{
    public async Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        HeaderList headers;
        await using (var body = await blobs.OpenReadAsync(message.BodyKey, cancellationToken))
        {
            try
            {
                headers = await HeaderList.LoadAsync(body, cancellationToken);
            }
            catch (FormatException)
            {
                LogNoReply(message.Id, "headers cannot be read");
                return FunctionResult.Done;
            }
        }

        if (AutoReplyRules.Refusal(message.MailFrom, headers) is { } refusal)
        {
            LogNoReply(message.Id, refusal);
            return FunctionResult.Done;
        }

        try
        {
            foreach (var target in message.Recipients.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (MailboxOf(target) is { } mailbox)
                {
                    await AnswerAsync(message, headers, mailbox, cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is DirectoryUnavailableException or DbException)
        {
            return FunctionResult.Retry($"directory unavailable: {e.Message}");
        }

        return FunctionResult.Done;
    }

    /// <summary><c>user#example.jp@autoreply.example.jp</c> → <c>user@example.jp</c>.</summary>
    public static string? MailboxOf(string vacationAddress)
    {
        var at = vacationAddress.LastIndexOf('@');
        var local = at > 0 ? vacationAddress[..at] : vacationAddress;
        var hash = local.LastIndexOf('#');
        return hash > 0 && hash < local.Length - 1 ? local[..hash] + "@" + local[(hash + 1)..] : null;
    }

    private async Task AnswerAsync(QueuedMessage message, HeaderList headers, string mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var vacation = await connection.QuerySingleOrDefaultAsync<VacationRow>(new CommandDefinition(
            "SELECT `subject`, `body`, `activefrom`, `activeuntil`, `interval_time` FROM `vacation` WHERE `email` = @mailbox AND `active` = 1",
            new { mailbox }, cancellationToken: cancellationToken));
        var now = clock.GetLocalNow().DateTime;
        if (vacation is null || now < Time(vacation.activefrom) || now > Time(vacation.activeuntil))
        {
            LogNoReply(message.Id, $"{mailbox} is not on vacation");
            return;
        }

        var sender = message.MailFrom.ToLowerInvariant();
        if (!await ClaimAsync(connection, mailbox, sender, TimeSpan.FromSeconds(vacation.interval_time), now, cancellationToken))
        {
            LogNoReply(message.Id, $"{mailbox} has answered {sender} already");
            return;
        }

        MimeMessage reply;
        try
        {
            reply = BuildReply(mailbox, message.MailFrom, headers, vacation);
        }
        catch (ParseException)
        {
            LogNoReply(message.Id, $"sender {message.MailFrom} cannot be answered");
            return;
        }

        var id = $"{message.Id}.vr{TargetSet.Digest([mailbox])}";
        using (var bytes = new MemoryStream())
        {
            await reply.WriteToAsync(FormatOptions.Default, bytes, cancellationToken);
            bytes.Position = 0;
            var size = await blobs.PutAsync(id, bytes, cancellationToken);
            await inbound.EnqueueAsync(new QueuedMessage
            {
                Id = id,
                ReceivedAt = clock.GetUtcNow(),
                MailFrom = string.Empty,
                Recipients = [message.MailFrom],
                BodyKey = id,
                Size = size,
                AuthenticatedUser = mailbox,
            }, cancellationToken);
        }

        LogReplied(message.Id, mailbox, message.MailFrom, id);
    }

    /// <summary>
    /// Takes the right to answer this sender now, as vacation.pl does (the notification row first): a row
    /// inserted, or an old one moved on when the interval has passed (never again when it is 0). Two
    /// workers with the same message cannot both win.
    /// </summary>
    private async Task<bool> ClaimAsync(
        DbConnection connection, string mailbox, string sender, TimeSpan interval, DateTime now, CancellationToken cancellationToken)
    {
        var at = DirectoryTime.Format(now);
        var notified = await connection.ExecuteScalarAsync<object>(new CommandDefinition(
            "SELECT `notified_at` FROM `vacation_notification` WHERE `on_vacation` = @mailbox AND `notified` = @sender",
            new { mailbox, sender }, cancellationToken: cancellationToken));
        if (notified is null or DBNull)
        {
            return await connection.ExecuteAsync(new CommandDefinition(
                $"{database.Dialect.InsertIgnore} INTO `vacation_notification` (`on_vacation`, `notified`, `notified_at`) VALUES (@mailbox, @sender, @at)",
                new { mailbox, sender, at }, cancellationToken: cancellationToken)) == 1;
        }

        var last = Time(notified);
        if (interval <= TimeSpan.Zero || now - last < interval)
        {
            return false;
        }

        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `vacation_notification` SET `notified_at` = @at WHERE `on_vacation` = @mailbox AND `notified` = @sender AND `notified_at` = @last",
            new { mailbox, sender, at, last = DirectoryTime.Format(last) }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>The reply: the vacation's subject (PostfixAdmin's <c>$SUBJECT</c> is the original's) and text, threaded under the original.</summary>
    private MimeMessage BuildReply(string mailbox, string sender, HeaderList original, VacationRow vacation)
    {
        var reply = new MimeMessage();
        reply.From.Add(MailboxAddress.Parse(mailbox));
        reply.To.Add(MailboxAddress.Parse(sender));
        reply.Subject = vacation.subject.Replace("$SUBJECT", original["Subject"]?.Trim() ?? string.Empty, StringComparison.Ordinal);
        reply.Date = clock.GetUtcNow();
        reply.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(mailbox[(mailbox.LastIndexOf('@') + 1)..]);
        if (original["Message-ID"]?.Trim() is { Length: > 0 } inReplyTo)
        {
            reply.InReplyTo = inReplyTo;
            reply.References.Add(inReplyTo);
        }

        reply.Headers.Add("Auto-Submitted", "auto-replied");
        reply.Headers.Add("Precedence", "junk");
        reply.Body = new TextPart("plain") { Text = vacation.body };
        return reply;
    }

    private static DateTime Time(object value) => Convert.ToDateTime(value, CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "{Id}: vacation reply {Reply} from {Mailbox} to <{Sender}>")]
    private partial void LogReplied(string id, string mailbox, string sender, string reply);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "{Id}: no vacation reply: {Reason}")]
    private partial void LogNoReply(string id, string reason);

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class VacationRow
    {
        public string subject { get; set; } = string.Empty;

        public string body { get; set; } = string.Empty;

        public object activefrom { get; set; } = string.Empty;

        public object activeuntil { get; set; } = string.Empty;

        public long interval_time { get; set; }
    }
}
