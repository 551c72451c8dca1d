using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MailServerless.ConformanceTests.Attacks;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// <c>/metrics</c> scrapes as Prometheus text that Prometheus's own parser reads, is a superadmin's on the HTTP listener
/// and anyone's on the metrics port (which serves nothing else), and its series move as real clients send, are refused,
/// log in and have their mail delivered.
/// </summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private readonly int _metricsPort = EdgeServerProcess.FreePort();
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync($"--Mail:Listeners:Metrics={_metricsPort}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Metrics_on_the_http_listener_are_for_a_superadmin_only()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("metrics")).StatusCode);

        using var owner = new HttpRequestMessage(HttpMethod.Get, "metrics");
        owner.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"user1@example.jp:{MailServerInstance.Password}")));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(owner)).StatusCode);

        var scrape = await PrometheusScrape.TakeAsync(_server);
        Assert.True(scrape.Has("mailserverless_tls_certificate_expiry_seconds"), scrape.Text);
        // The self-signed certificate made at first start is good for ten years.
        Assert.InRange(scrape.Value("mailserverless_tls_certificate_expiry_seconds"), TimeSpan.FromDays(3000).TotalSeconds, TimeSpan.FromDays(3700).TotalSeconds);
    }

    [Fact]
    public async Task The_metrics_port_needs_no_login_and_serves_nothing_but_metrics_and_health()
    {
        var scrape = await PrometheusScrape.TakeAsync(_server, _metricsPort);
        Assert.True(scrape.Has("mailserverless_queue_messages", "queue=inbound", "state=waiting"), scrape.ToString());

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_metricsPort}/") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/domains")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task Counters_move_as_mail_is_accepted_refused_delivered_and_deferred()
    {
        var before = await PrometheusScrape.TakeAsync(_server);

        // Accepted over STARTTLS and delivered into the Maildir.
        var sent = await SwaksAsync("user1@example.jp", "--tls");
        Assert.True(sent.ExitCode == 0, sent.Output);
        await _server.WaitForMessageAsync("user1", "metrics-probe");
        // Refused: a user who does not exist, and a relay attempt without logging in.
        Assert.Contains("550 5.1.1", (await SwaksAsync("nobody@example.jp")).Output, StringComparison.Ordinal);
        Assert.Contains("Relay access denied", (await SwaksAsync("someone@remote.example")).Output, StringComparison.Ordinal);
        // Submitted by user1 for someone outside, whose relay does not answer: it waits in the outbound queue.
        var submitted = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Submission}", "--tls",
            "--auth-user", "user1@example.jp", "--auth-password", MailServerInstance.Password,
            "--from", "user1@example.jp", "--to", "friend@remote.example", "--header", "Subject: metrics-probe"]);
        Assert.True(submitted.ExitCode == 0, submitted.Output);
        // A wrong IMAP password.
        Assert.Contains("AUTHENTICATIONFAILED", await LoginAttempts.ImapAsync(_server, IPAddress.Loopback, "user3@example.jp", "wrong"), StringComparison.Ordinal);

        var after = await EventuallyAsync(s =>
            s.Value("mailserverless_queue_outcomes_total", "queue=inbound", "outcome=done") - before.Value("mailserverless_queue_outcomes_total", "queue=inbound", "outcome=done") >= 2 &&
            s.Value("mailserverless_queue_outcomes_total", "queue=outbound", "outcome=retry") > 0 &&
            // Each client has gone; the server closes its side a moment later.
            s.Value("mailserverless_sessions_active", "protocol=smtp") == 0);

        double Delta(string name, params string[] labels) => after.Value(name, labels) - before.Value(name, labels);
        var report = after.ToString();
        Assert.True(Delta("mailserverless_smtp_accepted_total", "listener=smtp") == 1, report);
        Assert.True(Delta("mailserverless_smtp_accepted_total", "listener=submission") == 1, report);
        Assert.True(Delta("mailserverless_logins_total", "protocol=smtp", "result=ok") == 1, report);
        Assert.True(Delta("mailserverless_smtp_rejected_total", "reason=unknown_user") == 1, report);
        Assert.True(Delta("mailserverless_smtp_rejected_total", "reason=relay") == 1, report);
        Assert.True(Delta("mailserverless_mailbox_deliveries_total", "outcome=delivered") == 1, report);
        Assert.True(Delta("mailserverless_delivery_duration_seconds_count") == 1, report);
        Assert.True(Delta("mailserverless_delivery_duration_seconds_bucket", "le=+Inf") == 1, report);
        Assert.True(Delta("mailserverless_connections_total", "protocol=smtp", "result=accepted") == 4, report);
        Assert.True(Delta("mailserverless_tls_handshakes_total", "version=TLSv1.3") >= 1, report);
        Assert.True(Delta("mailserverless_logins_total", "protocol=imap", "result=failed") == 1, report);
        Assert.True(Delta("mailserverless_relay_outcomes_total", "status_class=4xx") >= 1, report);
        // Waiting for its next try, or being tried right now (the relay is tried every second or two here).
        Assert.True(after.Value("mailserverless_queue_messages", "queue=outbound", "state=waiting") +
                    after.Value("mailserverless_queue_messages", "queue=outbound", "state=in_flight") >= 1, report);
        Assert.True(after.Has("mailserverless_queue_oldest_age_seconds", "queue=outbound"), report);
        Assert.True(after.Value("mailserverless_sessions_active", "protocol=smtp") == 0, report);
    }

    private Task<ProcessRunner.Result> SwaksAsync(string to, params string[] extra) =>
        ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--from", "sender@remote.example", "--to", to,
            "--header", "Subject: metrics-probe", .. extra]);

    /// <summary>Scrapes until <paramref name="ready"/> holds (the queue settles a message just after its copy is written).</summary>
    private async Task<PrometheusScrape> EventuallyAsync(Func<PrometheusScrape, bool> ready)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var scrape = await PrometheusScrape.TakeAsync(_server);
            if (ready(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(200);
        }
    }
}
