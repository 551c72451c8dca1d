using MailServerless.Core.Accounts;
using MailServerless.Core.Queue;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;
using MailServerless.IntegrationTests.Accounts;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Delivery;

/// <summary>The outbound function on the spool, the seeded directory and Postfix's smtp-sink as the smarthost.</summary>
public sealed class RelayOutboundTests(SqliteSeededDirectory seeded) : IClassFixture<SqliteSeededDirectory>, IAsyncLifetime, IDisposable
{
    private readonly DeliveryHarness _harness = new(seeded.Test.Directory);
    private SmtpSink _sink = null!;
    private RelayOutbound _relay = null!;
    private SmtpSender _sender = null!;

    public async Task InitializeAsync()
    {
        _sink = await SmtpSink.StartAsync();
        var options = new RelayOptions { Mode = RelayMode.Smarthost, Host = "127.0.0.1", Port = _sink.Port, RequireTls = false };
        _sender = new SmtpSender(options, "mx.example.jp", TimeProvider.System, NullLogger<SmtpSender>.Instance);
        var delivery = new DeliveryOptions { HostName = "mx.example.jp" };
        var dkim = new DkimOptions();
        _relay = new RelayOutbound(
            new SmarthostTransport(options, _sender),
            new DkimSigning(
                new DkimKeys(seeded.Test.Database, dkim, TimeProvider.System), dkim, seeded.Test.Directory, new DnsDkimPublication(new Core.Dns.DnsResolver(new Core.Dns.DnsOptions(), TimeProvider.System)),
                new SenderOwnership(new RecipientResolver(seeded.Test.Directory, "autoreply.example.jp"))),
            new VacationResponder(seeded.Test.Database, _harness.Blobs, _harness.Inbound, TimeProvider.System, NullLogger<VacationResponder>.Instance),
            new NonDeliveryReports(_harness.Blobs, _harness.Inbound, delivery, NullLogger<NonDeliveryReports>.Instance),
            seeded.Test.Directory, _harness.Blobs, _harness.Inbound, new QueueOptions(), TimeProvider.System, NullLogger<RelayOutbound>.Instance);
    }

    public async Task DisposeAsync() => await _sink.DisposeAsync();

    public void Dispose()
    {
        _sender.Dispose();
        _harness.Dispose();
    }

    [Fact]
    public async Task Recipients_in_a_local_domain_go_to_local_delivery_once_and_only_the_others_are_relayed()
    {
        var message = await _harness.AcceptAsync("sender@remote.example", ["user1@example.jp", "friend@remote.example", "USER1@example.com"]);

        Assert.Equal(FunctionOutcome.Done, (await _relay.HandleAsync(message, CancellationToken.None)).Outcome);
        Assert.Equal(FunctionOutcome.Done, (await _relay.HandleAsync(message, CancellationToken.None)).Outcome);

        var local = Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound));
        Assert.Equal(["user1@example.jp", "USER1@example.com"], local.Message.Recipients);
        Assert.Equal(MessagePurpose.Deliver, local.Message.Purpose);
        var dumps = _sink.Messages();
        Assert.Equal(2, dumps.Length); // handled twice: relayed twice (the queue, not the function, makes it once)
        Assert.All(dumps, d => Assert.Contains("X-Rcpt-Args: <friend@remote.example>\n", d.ReplaceLineEndings("\n"), StringComparison.Ordinal));
        Assert.All(dumps, d => Assert.DoesNotContain("user1@", d.Split("\n\n")[0], StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Dsn_requests_go_on_to_a_next_hop_that_offers_dsn_and_one_that_does_not_brings_a_relayed_notice()
    {
        var dsn = new DsnRequest
        {
            Return = DsnReturn.Full,
            EnvelopeId = "env-relay-1",
            Recipients = new Dictionary<string, RecipientDsn> { ["friend@remote.example"] = new() { Notify = DsnNotify.Success | DsnNotify.Failure } },
        };
        var message = (await _harness.AcceptAsync("sender@remote.example", ["friend@remote.example"])) with { Dsn = dsn };
        Assert.Equal(FunctionOutcome.Done, (await _relay.HandleAsync(message, CancellationToken.None)).Outcome);

        var dump = (await _sink.WaitForMessageAsync("env-relay-1")).ReplaceLineEndings("\n");
        Assert.Contains("RET=FULL", dump, StringComparison.Ordinal);
        Assert.Contains("NOTIFY=SUCCESS,FAILURE", dump, StringComparison.Ordinal);
        // The next hop has the requests: the notices are its to send.
        Assert.Empty(await DeliveryHarness.DrainAsync(_harness.Inbound));

        await _sink.RestartAsync("-N"); // no DSN offered
        var again = (await _harness.AcceptAsync("sender@remote.example", ["friend@remote.example"])) with { Dsn = dsn };
        Assert.Equal(FunctionOutcome.Done, (await _relay.HandleAsync(again, CancellationToken.None)).Outcome);
        var notice = Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound)).Message;
        Assert.Equal(string.Empty, notice.MailFrom);
        Assert.Equal(["sender@remote.example"], notice.Recipients);
        await using var body = await _harness.Blobs.OpenReadAsync(notice.BodyKey);
        var text = await new StreamReader(body).ReadToEndAsync();
        Assert.Contains("Action: relayed", text, StringComparison.Ordinal);
        Assert.Contains("Original-Envelope-Id: env-relay-1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_requiretls_message_waits_rather_than_go_to_a_next_hop_without_tls()
    {
        // smtp-sink offers no STARTTLS: an ordinary message goes (opportunistic TLS), a REQUIRETLS one does not.
        var message = (await _harness.AcceptAsync("sender@remote.example", ["friend@remote.example"], DeliveryHarness.Message("needs-tls"))) with { RequireTls = true };
        var result = await _relay.HandleAsync(message, CancellationToken.None);

        Assert.Equal(FunctionOutcome.Retry, result.Outcome);
        Assert.Contains("TLS is required", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(_sink.Messages(), m => m.Contains("needs-tls", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_body_is_dead_lettered_with_the_reason()
    {
        var message = await _harness.AcceptAsync("sender@remote.example", ["friend@remote.example"]);
        await _harness.Blobs.DeleteAsync(message.BodyKey);
        var result = await _relay.HandleAsync(message, CancellationToken.None);
        Assert.Equal(FunctionOutcome.DeadLetter, result.Outcome);
        Assert.Contains("missing", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vacation_answers_a_sender_again_only_after_the_interval_and_never_a_list()
    {
        await seeded.Test.ExecuteAsync("DELETE FROM vacation_notification WHERE on_vacation = 'away@example.jp'");
        await seeded.Test.ExecuteAsync("DELETE FROM vacation WHERE email = 'away@example.jp'");
        await seeded.Test.ExecuteAsync(
            "INSERT INTO vacation (email, subject, body, cache, domain, created, active, modified, activefrom, activeuntil, interval_time) " +
            "VALUES ('away@example.jp', 'Re: $SUBJECT', 'Away.', '', 'example.jp', '2020-01-01 00:00:00', 1, '2020-01-01 00:00:00', '2000-01-01 00:00:00', '2038-01-18 00:00:00', 3600)");
        async Task<int> RepliesAfterAsync(string sender, string? extraHeader = null)
        {
            var body = $"From: {sender}\r\nTo: away@example.jp\r\nSubject: question\r\nMessage-ID: <{Guid.NewGuid():N}@remote.example>\r\n{extraHeader}\r\nHello.\r\n";
            var message = await _harness.AcceptAsync(sender, ["away#example.jp@autoreply.example.jp"], body) with { Purpose = MessagePurpose.Vacation };
            Assert.Equal(FunctionOutcome.Done, (await _relay.HandleAsync(message, CancellationToken.None)).Outcome);
            var replies = await DeliveryHarness.DrainAsync(_harness.Inbound);
            foreach (var reply in replies)
            {
                Assert.Equal(string.Empty, reply.Message.MailFrom);
                Assert.Equal([sender], reply.Message.Recipients);
                await _harness.Inbound.CompleteAsync(reply);
            }

            return replies.Count;
        }

        Assert.Equal(1, await RepliesAfterAsync("friend@remote.example"));
        Assert.Equal(0, await RepliesAfterAsync("friend@remote.example"));
        await seeded.Test.ExecuteAsync("UPDATE vacation_notification SET notified_at = '2001-01-01 00:00:00' WHERE on_vacation = 'away@example.jp'");
        Assert.Equal(1, await RepliesAfterAsync("FRIEND@remote.example"));
        Assert.Equal(0, await RepliesAfterAsync("list@remote.example", "List-Id: <news.remote.example>\r\n"));
        Assert.Equal(0, await RepliesAfterAsync("robot@remote.example", "Auto-Submitted: auto-generated\r\n"));
        Assert.Equal(1, await RepliesAfterAsync("human@remote.example", "Auto-Submitted: no (a person wrote this)\r\n"));
        Assert.Equal(0, await RepliesAfterAsync("owner-news@remote.example"));
    }

    [Fact]
    public async Task A_relay_that_refuses_for_good_and_hangs_up_gets_the_message_bounced_not_retried()
    {
        // A server that greets, takes EHLO, answers MAIL with 554 and closes at once (as some do to spam).
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            using var reader = new StreamReader(stream);
            async Task SayAsync(string line) => await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(line + "\r\n"));
            await SayAsync("220 hostile.example ESMTP");
            await reader.ReadLineAsync();
            await SayAsync("250 hostile.example");
            await reader.ReadLineAsync();
            await SayAsync("554 5.7.1 Service unavailable; client host blocked");
        });
        var options = new RelayOptions { Mode = RelayMode.Smarthost, Host = "127.0.0.1", Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port, RequireTls = false };
        using var sender = new SmtpSender(options, "mx.example.jp", TimeProvider.System, NullLogger<SmtpSender>.Instance);
        var transport = new SmarthostTransport(options, sender);

        var mime = MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(DeliveryHarness.Message())));
        var outcome = Assert.Single(await transport.SendAsync("user1@example.jp", ["friend@remote.example"], mime, SendRequests.None, CancellationToken.None));
        await serving;

        Assert.Equal(OutcomeKind.Permanent, outcome.Kind);
        Assert.Equal("5.7.1", outcome.Status);
        Assert.Contains("client host blocked", outcome.Diagnostic, StringComparison.Ordinal);
    }
}
