using System.Text.Json;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Api;

namespace MailServerless.EdgeServer.Cli;

/// <summary>A command's answer on standard output: a line per item (tab-separated) for people, or JSON with <c>--json</c>.</summary>
public static class CliOutput
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Task WriteAsync(TextWriter output, object result, bool json)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        return output.WriteLineAsync(json ? JsonSerializer.Serialize(result, result.GetType(), Json) : Describe(result));
    }

    public static string Describe(object result) => result switch
    {
        string text => text,
        System.Collections.IEnumerable items => string.Join('\n', items.Cast<object>().Select(Describe)),
        DomainView d => $"{d.Domain}\t{d.MailboxCount}/{d.Mailboxes} mailboxes\t{d.AliasCount}/{d.Aliases} aliases\t" +
                        $"max {Megabytes(d.MaxQuota)} per mailbox\t{Megabytes(d.Quota)} in all\t{(d.Active ? "active" : "inactive")}" +
                        $"{(d.BackupMx ? "\tbackup MX" : string.Empty)}{(d.Transport is "virtual" or "" ? string.Empty : $"\ttransport {d.Transport}")}",
        MailboxView m => $"{m.Address}\t{m.Name}\tquota {m.Quota}\t{(m.Active ? "active" : "inactive")}\t{m.Maildir}" +
                         (m.QuotaUsed is { } used ? $"\tusing {used.Bytes} bytes in {used.Messages} messages" : string.Empty) +
                         (m.Language.Length > 0 ? $"\tlanguage {m.Language}" : string.Empty),
        QueuedMessageView m => $"{m.Id}\t{m.Queue}\t{m.State.ToString().ToLowerInvariant()}\t{m.Size} bytes\t{m.ReceivedAt:yyyy-MM-dd HH:mm:ss}\t" +
                               $"attempts {m.Attempts}\t<{m.Sender}> -> {string.Join(", ", m.Recipients.Select(r => $"<{r}>"))}" +
                               ((m.DeadLetterReason ?? m.LastError) is { } why ? $"\n\t({why})" : string.Empty),
        QueuedMessageDetail d => $"{Describe(d.Message)}\nclient: {d.ClientAddress ?? "-"} helo={d.ClientHelo ?? "-"} user={d.AuthenticatedUser ?? "-"}" +
                                 (d.Message.Due is { } due ? $"\ndue: {due:yyyy-MM-dd HH:mm:ss}" : string.Empty) + "\n\n" + d.Headers.TrimEnd(),
        CertificateView c => $"{string.Join(", ", c.Names)}\tserial {c.Serial}\t{c.NotBefore:yyyy-MM-dd} to {c.NotAfter:yyyy-MM-dd HH:mm} UTC\tby {c.Issuer}\t{c.Source}",
        RequeuedDead r => $"{r.Queue}: {r.Count} requeued",
        QuotaView q => $"{q.Address}\t{Sizes.Describe(q.Bytes)} of {(q.Limit > 0 ? Sizes.Describe(q.Limit) : "unlimited")}\t{q.Percent}%\t{q.Messages} messages",
        AliasView a => $"{a.Address}\t-> {string.Join(", ", a.Goto)}{(a.Active ? string.Empty : "\tinactive")}",
        AliasDomainView a => $"{a.AliasDomain}\t-> {a.TargetDomain}{(a.Active ? string.Empty : "\tinactive")}",
        AdminView a => $"{a.Username}\t{(a.Superadmin ? "superadmin" : string.Join(", ", a.Domains))}{(a.Active ? string.Empty : "\tinactive")}",
        LogEntry e => $"{e.Timestamp:yyyy-MM-dd HH:mm:ss}\t{e.Username}\t{e.Domain}\t{e.Action}\t{e.Data}",
        VacationView v => $"{v.Address}\t{(v.Active ? "active" : "inactive")}\t{v.ActiveFrom:yyyy-MM-dd} to {v.ActiveUntil:yyyy-MM-dd}\t" +
                          $"every {v.IntervalTime} s\t{v.Subject}\n{v.Body}",
        FiltersView f => $"{f.Address}\tscripts: {string.Join(", ", f.Scripts)}\tactive: {f.ActiveScript ?? "none"}" +
                         (f.ActiveText is { } text ? "\n" + text.TrimEnd() : string.Empty),
        ApiKeyView k => $"{k.Id}\t{k.Name}\tfor {k.Username}\tmade {k.Created:yyyy-MM-dd}\tlast used {k.LastUsed:yyyy-MM-dd}",
        CreatedApiKey k => $"{k.Id}\t{k.Name}\tfor {k.Username}\n{k.Key}\n(the key is shown this once)",
        DkimRecord r => $"{r.Name}\t{r.Type}\t{r.Value}\t({r.Algorithm}, since {r.Created:yyyy-MM-dd})" +
                        (r.Pending is { } pending ? $"\npending: {Describe(pending)}" : string.Empty),
        _ => result.ToString() ?? string.Empty,
    };

    /// <summary>A domain limit in PostfixAdmin's megabytes, with its special values.</summary>
    private static string Megabytes(long value) => value switch
    {
        0 => "unlimited",
        < 0 => "none",
        _ => Sizes.Describe(value * Sizes.Megabyte),
    };
}
