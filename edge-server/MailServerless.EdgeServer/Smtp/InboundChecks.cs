using System.Net;
using MailServerless.Core.Authentication;
using MailServerless.Core.Queue;
using MailServerless.Core.Spam;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>What the checks at the end of DATA decided: a refusal, or how the message is to be filed.</summary>
public sealed record InboundVerdict(
    string? Refusal, string? AddedHeaders, IReadOnlyList<string> RemovedHeaders, string? Folder, double? SpamScore, string? AuthenticationResults);

/// <summary>The facts of a transaction the checks look at.</summary>
public sealed record InboundFacts(IPAddress Client, string Helo, string MailFrom, IReadOnlyList<string> Recipients, string? User, string QueueId, SpfOutcome? Spf);

/// <summary>
/// The decisions made in the SMTP session, so that nothing accepted is refused later (no backscatter): SPF at RCPT,
/// then at the end of DATA DKIM, ARC and DMARC (<c>Mail:Authentication</c>) and rspamd (<c>Mail:Spam</c>). What they
/// find goes with the message as header edits and a folder, applied when each copy is written.
/// </summary>
public sealed partial class InboundChecks(
    AuthenticationOptions authentication, SpamOptions spam, MessageAuthenticator authenticator, RspamdClient rspamd, IBlobStore blobs,
    string authServId, string hostName, ILogger<InboundChecks> logger)
{
    public const string JunkFolder = "Junk";

    /// <summary>The junk verdict's mark, <c>X-Spam: Yes</c>, as rspamd writes it.</summary>
    public const string SpamMark = "X-Spam";

    private static readonly string[] SpamHeaders = [SpamMark, "X-Spamd-Result", "X-Rspamd-Score", "X-Spam-Flag", "X-Spam-Status"];

    public string AuthServId => authServId;

    /// <summary>Whether mail from this client is checked for SPF, DKIM and DMARC: from outside, on the MX.</summary>
    public bool Authenticates(bool authenticated) => authentication.Enabled && !authenticated;

    /// <summary>SPF of the MAIL FROM (HELO for the null sender), and the refusal it leads to, if any.</summary>
    public async Task<(SpfOutcome Outcome, string? Refusal)> CheckSpfAsync(IPAddress client, string helo, string mailFrom, CancellationToken cancellationToken)
    {
        var outcome = await authenticator.CheckSpfAsync(client, helo, mailFrom, cancellationToken);
        var who = mailFrom.Length > 0 ? $"<{mailFrom}>" : $"<{helo}>";
        string? refusal = outcome.Result switch
        {
            AuthResult.Fail when authentication.SpfFail == SpfFailAction.Reject =>
                $"550 5.7.23 {who}: Sender address rejected: SPF fail - {LogTextSafe(outcome.Explanation ?? $"{client} is not allowed to send mail from {outcome.Domain}")}",
            AuthResult.TempError => $"451 4.4.3 {who}: Sender address rejected: SPF temporary error ({LogTextSafe(outcome.Problem ?? "DNS look-up failed")})",
            _ => null,
        };
        return (outcome, refusal);
    }

    /// <summary>The checks at the end of DATA, on the stored body.</summary>
    public async Task<InboundVerdict> CheckMessageAsync(InboundFacts facts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        // A result under our name that we did not write is removed, whoever sent it (RFC 8601 §5).
        var removed = new List<string> { $"Authentication-Results:{authServId}" };
        if (facts.User is null)
        {
            // The junk mark is ours to set: a sender's own would file its mail as it liked (see SieveFilters' default before-script).
            removed.Add(SpamMark);
        }

        var added = new System.Text.StringBuilder();
        string? folder = null, results = null;
        double? score = null;

        if (Authenticates(facts.User is not null))
        {
            MimeKit.MimeMessage message;
            await using (var body = await blobs.OpenReadAsync(facts.QueueId, cancellationToken))
            {
                message = await MimeKit.MimeMessage.LoadAsync(body, cancellationToken);
            }

            var report = await authenticator.CheckMessageAsync(message, facts.Spf, cancellationToken);
            results = report.Header(authServId, facts.Client.ToString());
            added.Append(results);
            LogAuthentication(facts.QueueId, report.Spf?.Result.ToString() ?? "-", string.Join(",", report.Dkim.Select(d => $"{d.Result}:{d.Domain}")),
                report.Dmarc.Result.ToString(), report.Dmarc.Disposition.ToString(), report.Arc.Result.ToString());
            if (report.Dmarc is { Result: AuthResult.Fail } dmarc)
            {
                var disposition = dmarc.Disposition == DmarcPolicy.Reject
                    ? authentication.DmarcReject switch
                    {
                        DmarcRejectAction.Reject => DmarcPolicy.Reject,
                        DmarcRejectAction.Quarantine => DmarcPolicy.Quarantine,
                        _ => DmarcPolicy.None,
                    }
                    : dmarc.Disposition;
                if (disposition == DmarcPolicy.Reject)
                {
                    return Refused($"550 5.7.1 Email rejected per DMARC policy for {dmarc.AuthorDomain}");
                }

                if (disposition == DmarcPolicy.Quarantine)
                {
                    folder = JunkFolder;
                }
            }
        }

        if (spam.Enabled && (facts.User is null || spam.Submission != SubmissionSpamAction.Off))
        {
            removed.AddRange(SpamHeaders);
            var (verdict, refusal) = await SpamAsync(facts, cancellationToken);
            if (refusal is not null)
            {
                return Refused(refusal);
            }

            if (verdict is not null)
            {
                score = verdict.Score;
                added.Append(RspamdClient.Headers(verdict));
                if (verdict.IsSpam)
                {
                    folder = JunkFolder;
                }

                if (verdict is { Action: "rewrite subject", Subject: { Length: > 0 } subject })
                {
                    removed.Add("Subject");
                    added.Append("Subject: ").Append(MimeKit.Utils.Rfc2047.EncodeText(System.Text.Encoding.UTF8, subject)).Append("\r\n");
                }
            }
        }

        if (folder == JunkFolder && !added.ToString().Contains(SpamMark + ": Yes", StringComparison.OrdinalIgnoreCase))
        {
            // A DMARC quarantine is marked as rspamd's "add header" marks spam, for the Junk rule to see.
            added.Append(SpamMark).Append(": Yes\r\n");
            if (!removed.Contains(SpamMark))
            {
                removed.Add(SpamMark);
            }
        }

        return new InboundVerdict(null, added.Length > 0 ? added.ToString() : null, removed, folder, score, results);
    }

    /// <summary>rspamd's verdict, and the refusal it leads to; (null, null) when rspamd could not be asked and that is accepted.</summary>
    private async Task<(SpamVerdict? Verdict, string? Refusal)> SpamAsync(InboundFacts facts, CancellationToken cancellationToken)
    {
        SpamVerdict verdict;
        try
        {
            await using var body = await blobs.OpenReadAsync(facts.QueueId, cancellationToken);
            verdict = await rspamd.CheckAsync(body, new RspamdClient.Envelope(
                facts.Client.ToString(), facts.Helo, facts.MailFrom, facts.Recipients, facts.User, facts.QueueId, hostName), cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            LogSpamUnavailable(facts.QueueId, e.Message);
            return spam.FailureAction == SpamFailureAction.TempFail ? (null, "451 4.7.1 Error: spam filter unavailable, try again later") : (null, null);
        }

        LogSpam(facts.QueueId, facts.User ?? "-", verdict.Action, verdict.Score, verdict.RequiredScore);
        var enforced = facts.User is null || spam.Submission == SubmissionSpamAction.Reject;
        string? refusal = verdict.Action switch
        {
            "reject" when enforced => $"554 5.7.1 {LogTextSafe(verdict.Message ?? "Spam message rejected")}",
            "soft reject" or "greylist" when enforced => $"451 4.7.1 {LogTextSafe(verdict.Message ?? (verdict.Action == "greylist" ? "Try again later" : "Spam message deferred"))}",
            _ => null,
        };
        return (verdict, refusal);
    }

    private static InboundVerdict Refused(string reply) => new(reply, null, [], null, null, null);

    private static string LogTextSafe(string text) => new(text.Select(c => char.IsControl(c) ? ' ' : c).Take(400).ToArray());

    [LoggerMessage(EventId = 6070, Level = LogLevel.Information,
        Message = "smtp {Id}: spf={Spf} dkim={Dkim} dmarc={Dmarc} disposition={Disposition} arc={Arc}")]
    private partial void LogAuthentication(string id, string spf, string dkim, string dmarc, string disposition, string arc);

    [LoggerMessage(EventId = 6071, Level = LogLevel.Information, Message = "smtp {Id}: rspamd user={User} action={Action} score={Score}/{Required}")]
    private partial void LogSpam(string id, string user, string action, double score, double required);

    [LoggerMessage(EventId = 6072, Level = LogLevel.Warning, Message = "smtp {Id}: rspamd could not be asked: {Reason}")]
    private partial void LogSpamUnavailable(string id, string reason);
}
