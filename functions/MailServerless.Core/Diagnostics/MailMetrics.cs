using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MailServerless.Core.Diagnostics;

/// <summary>
/// The server's measurements (System.Diagnostics.Metrics), one meter for every part: the edge's protocols, the
/// queue functions and the relay. Whatever exports them (OpenTelemetry's Prometheus endpoint on the edge) listens
/// to <see cref="MeterName"/>; with no listener each call costs next to nothing. Labels are small fixed sets
/// (protocols, reasons, outcomes), never addresses or users, so the number of series stays bounded.
/// </summary>
public static class MailMetrics
{
    public const string MeterName = "MailServerless";

    public static Meter Meter { get; } = new(MeterName, typeof(MailMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Connections = Meter.CreateCounter<long>(
        "mailserverless.connections", "{connection}", "Client connections, by protocol and whether they were admitted.");

    private static readonly UpDownCounter<long> ActiveSessions = Meter.CreateUpDownCounter<long>(
        "mailserverless.sessions.active", "{session}", "Sessions open now, by protocol.");

    private static readonly Counter<long> Logins = Meter.CreateCounter<long>(
        "mailserverless.logins", "{login}", "Logins by protocol and result (ok, failed).");

    private static readonly Counter<long> ThrottleBlocks = Meter.CreateCounter<long>(
        "mailserverless.auth.throttled", "{attempt}", "Login attempts refused by the failed-login throttle.");

    private static readonly Counter<long> TlsHandshakes = Meter.CreateCounter<long>(
        "mailserverless.tls.handshakes", "{handshake}", "TLS handshakes on the mail ports, by protocol version (failed: none agreed).");

    private static readonly Counter<long> SmtpAccepted = Meter.CreateCounter<long>(
        "mailserverless.smtp.accepted", "{message}", "Messages accepted and queued, by listener (smtp, submission, submissions).");

    private static readonly Counter<long> SmtpRejected = Meter.CreateCounter<long>(
        "mailserverless.smtp.rejected", "{rejection}", "Recipients or messages refused, by reason.");

    private static readonly Counter<long> QueueOutcomes = Meter.CreateCounter<long>(
        "mailserverless.queue.outcomes", "{message}", "Queue functions' outcomes, by queue: done, retry, dead_letter.");

    private static readonly Counter<long> MailboxDeliveries = Meter.CreateCounter<long>(
        "mailserverless.mailbox.deliveries", "{delivery}", "Copies written to mailboxes, by outcome: delivered, over_quota, temporary.");

    private static readonly Histogram<double> DeliveryLatency = Meter.CreateHistogram(
        "mailserverless.delivery.duration", "s", "From acceptance (250 to DATA) to the copy in the Maildir.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });

    private static readonly Counter<long> RelayOutcomes = Meter.CreateCounter<long>(
        "mailserverless.relay.outcomes", "{recipient}", "Outbound recipients by status class (2xx, 4xx, 5xx), each time one is tried.");

    private static readonly Counter<long> QuotaWarnings = Meter.CreateCounter<long>(
        "mailserverless.quota.warnings", "{message}", "Quota warnings sent to users, by threshold.");

    public static void Connection(string protocol, bool admitted) =>
        Connections.Add(1, new TagList { { "protocol", protocol }, { "result", admitted ? "accepted" : "refused" } });

    /// <summary>Counts a session as open until the returned value is disposed.</summary>
    public static ActiveSession Session(string protocol)
    {
        ActiveSessions.Add(1, new KeyValuePair<string, object?>("protocol", protocol));
        return new ActiveSession(protocol);
    }

    public static void Login(string protocol, bool succeeded) =>
        Logins.Add(1, new TagList { { "protocol", protocol }, { "result", succeeded ? "ok" : "failed" } });

    public static void Throttled() => ThrottleBlocks.Add(1);

    /// <summary><paramref name="version"/>: "TLSv1.3", "TLSv1.2", or "failed" for a handshake that did not finish.</summary>
    public static void TlsHandshake(string version) => TlsHandshakes.Add(1, new KeyValuePair<string, object?>("version", version));

    public static void Accepted(string listener) => SmtpAccepted.Add(1, new KeyValuePair<string, object?>("listener", listener));

    public static void Rejected(string reason) => SmtpRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public static void QueueOutcome(string queue, string outcome) =>
        QueueOutcomes.Add(1, new TagList { { "queue", queue }, { "outcome", outcome } });

    public static void MailboxDelivery(string outcome, TimeSpan? sinceAccepted = null)
    {
        MailboxDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (sinceAccepted is { } latency)
        {
            DeliveryLatency.Record(Math.Max(0, latency.TotalSeconds));
        }
    }

    /// <summary>
    /// By the enhanced status code's class (RFC 3463 §3.1): "2.0.0" → "2xx". A failure without a reply (no connection,
    /// DNS) carries its own 4.x.x or 5.x.x code and counts in that class.
    /// </summary>
    public static void RelayOutcome(string status) =>
        RelayOutcomes.Add(1, new KeyValuePair<string, object?>("status_class", status is ['2' or '4' or '5', ..] ? $"{status[0]}xx" : "other"));

    public static void QuotaWarning(int percent) => QuotaWarnings.Add(1, new KeyValuePair<string, object?>("threshold", percent));

    /// <summary>One open session; disposing closes it (once).</summary>
    public sealed class ActiveSession(string protocol) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                ActiveSessions.Add(-1, new KeyValuePair<string, object?>("protocol", protocol));
            }
        }
    }
}
