using MailServerless.Core.Accounts;
using MailServerless.Core.Administration;
using MailServerless.Core.Diagnostics;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace MailServerless.Functions;

/// <summary>
/// Dovecot's <c>quota_warning</c>: when a delivery takes a mailbox's use across a threshold of its quota from below,
/// its owner gets a message saying so, once per crossing (falling back under it and crossing again warns again). When
/// one delivery crosses several, only the highest warns, as in Dovecot. The warning is written straight into the
/// inbox, past the quota (Dovecot's <c>quota-warning</c> script delivers with the quota not enforced), under an id
/// made from the message's, so a retried delivery never writes it twice.
/// </summary>
public sealed partial class QuotaWarnings(
    MaildirStore store, MailboxLanguages languages, QuotaWarningOptions options, TimeProvider clock, ILogger<QuotaWarnings> logger)
{
    private readonly IReadOnlyList<int> _thresholds = options.Thresholds();

    /// <summary>The highest threshold crossed from <paramref name="usedBefore"/> to <paramref name="usedAfter"/> bytes; null for none.</summary>
    public int? Crossed(long usedBefore, long usedAfter, long limitBytes)
    {
        if (limitBytes <= 0)
        {
            return null;
        }

        foreach (var percent in _thresholds)
        {
            // Reaching the threshold counts, as Dovecot's "storage=80%%" fires at 80 % exactly.
            var level = (long)Math.Ceiling(limitBytes * (percent / 100.0));
            if (usedBefore < level && usedAfter >= level)
            {
                return percent;
            }
        }

        return null;
    }

    /// <summary>After a copy of message <paramref name="messageId"/> was written to <paramref name="mailbox"/>: warns if it crossed a threshold.</summary>
    public async Task CheckAsync(Mailbox mailbox, string messageId, DeliveryResult delivered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentNullException.ThrowIfNull(delivered);
        if (delivered.QuotaBefore is not { } before)
        {
            return;
        }

        var used = before.Bytes;
        var added = delivered.Size;
        // A warning takes room too: when it crosses the next threshold itself, that one is said as well.
        while (Crossed(used, used + added, before.Limit.Bytes) is { } percent)
        {
            used += added;
            added = await WarnAsync(mailbox, messageId, percent, used, before.Limit.Bytes, cancellationToken);
            if (added == 0)
            {
                return;
            }
        }
    }

    /// <summary>Writes one warning; returns its size, or 0 when none was written now.</summary>
    private async Task<long> WarnAsync(Mailbox mailbox, string messageId, int percent, long used, long limit, CancellationToken cancellationToken)
    {
        try
        {
            var language = await languages.GetAsync(mailbox.Username, cancellationToken);
            var warning = Build(mailbox, language.Length > 0 ? language : options.DefaultLanguage, percent, used, limit);
            using var content = new MemoryStream();
            await warning.WriteToAsync(content, cancellationToken);
            content.Position = 0;
            var result = await store.Delivery.DeliverAsync(
                mailbox.Maildir, QuotaLimit.Unlimited, $"{messageId}-quota{percent}", clock.GetUtcNow(), content, cancellationToken: cancellationToken);
            if (result.Status != DeliveryStatus.Delivered)
            {
                return 0;
            }

            MailMetrics.QuotaWarning(percent);
            LogWarned(mailbox.Username, percent);
            return content.Length;
        }
        catch (Exception e) when (e is DirectoryUnavailableException or IOException)
        {
            // The message itself is delivered; a warning that cannot be written now is not worth a retry of it.
            LogWarningFailed(mailbox.Username, percent, e.Message);
            return 0;
        }
    }

    private MimeMessage Build(Mailbox mailbox, string language, int percent, long used, long limit)
    {
        var (subject, body) = QuotaWarningText.For(language, mailbox.Username, percent, used, limit);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Postmaster", $"postmaster@{mailbox.Domain}"));
        message.To.Add(new MailboxAddress(mailbox.Name, mailbox.Username));
        message.Subject = subject;
        message.Date = clock.GetUtcNow();
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(mailbox.Domain);
        // RFC 3834: an automatic message, which no auto-responder answers.
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("Content-Language", language);
        var text = new TextPart("plain") { Text = body.Replace("\n", "\r\n", StringComparison.Ordinal) };
        text.ContentType.Charset = "utf-8";
        message.Body = text;
        return message;
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "quota warning: {User} is over {Percent}% of the quota; told")]
    private partial void LogWarned(string user, int percent);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "quota warning: {User} crossed {Percent}% of the quota; the warning could not be written: {Reason}")]
    private partial void LogWarningFailed(string user, int percent, string reason);
}
