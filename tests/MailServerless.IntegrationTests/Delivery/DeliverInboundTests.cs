using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using MailServerless.Core.Queue;
using MailServerless.IntegrationTests.Accounts;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace MailServerless.IntegrationTests.Delivery;

/// <summary>The inbound delivery function over the seeded directory, on SQLite and on MariaDB.</summary>
public abstract class DeliverInboundTests(SeededDirectory seeded) : IDisposable
{
    private readonly DeliveryHarness _harness = new(seeded.Test.Directory);

    public void Dispose()
    {
        _harness.Dispose();
        GC.SuppressFinalize(this);
    }

    private static MessageDeliveryStatus Status(MimeMessage dsn) =>
        Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(dsn.Body)[1]);

    [Fact]
    public async Task Message_lands_once_with_return_path_and_delivered_to()
    {
        var (_, result) = await _harness.DeliverAsync("sender@remote.example", "user1@example.jp");

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        var copy = Assert.Single(_harness.Inbox("user1"));
        Assert.StartsWith("Return-Path: <sender@remote.example>\nDelivered-To: user1@example.jp\nFrom: sender@remote.example\n", copy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a@example.jp")]
    [InlineData("user1@example.com")]
    [InlineData("whoever@other.example")]
    [InlineData("USER1@Example.JP")]
    public async Task Alias_chain_alias_domain_and_catch_all_reach_the_mailbox(string recipient)
    {
        var (_, result) = await _harness.DeliverAsync("sender@remote.example", recipient);

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        Assert.Single(_harness.Inbox("user1"));
    }

    [Fact]
    public async Task Duplicate_recipients_and_aliases_reaching_one_mailbox_give_one_copy()
    {
        var (_, result) = await _harness.DeliverAsync("sender@remote.example", "info@example.jp", "user1@example.jp", "USER1@example.com", "b@example.jp");

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        Assert.Single(_harness.Inbox("user1"));
        Assert.Single(_harness.Inbox("user2"));
    }

    [Fact]
    public async Task A_forward_carries_the_dsn_requests_of_the_recipient_it_came_from_and_a_success_notice_goes_for_the_local_copy()
    {
        var message = (await _harness.AcceptAsync("sender@remote.example", ["user2@example.jp"])) with
        {
            Dsn = new DsnRequest
            {
                EnvelopeId = "fwd-env-1",
                Recipients = new Dictionary<string, RecipientDsn> { ["user2@example.jp"] = new() { Notify = DsnNotify.Never, OriginalRecipient = "rfc822;user2@example.jp" } },
            },
        };
        Assert.Equal(FunctionOutcome.Done, (await _harness.Function.HandleAsync(message, CancellationToken.None)).Outcome);

        var forward = Assert.Single(await DeliveryHarness.DrainAsync(_harness.Outbound)).Message;
        Assert.Equal(["friend@remote.example"], forward.Recipients);
        // NEVER stays never for the outside address the alias leads to (RFC 3461 §6.2.7.2).
        Assert.Equal(DsnNotify.Never, forward.Dsn?.For("friend@remote.example").Notify);
        Assert.Equal("rfc822;user2@example.jp", forward.Dsn?.For("friend@remote.example").OriginalRecipient);
        Assert.Equal("fwd-env-1", forward.Dsn?.EnvelopeId);
        // NEVER: no success notice for the local copy either.
        Assert.Empty(await DeliveryHarness.DrainAsync(_harness.Inbound));
    }

    [Fact]
    public async Task Forwarding_alias_keeps_the_copy_and_queues_the_outside_address_with_its_own_body()
    {
        var (message, _) = await _harness.DeliverAsync("sender@remote.example", "user2@example.jp");

        Assert.Single(_harness.Inbox("user2"));
        var forward = Assert.Single(await DeliveryHarness.DrainAsync(_harness.Outbound)).Message;
        Assert.Equal(["friend@remote.example"], forward.Recipients);
        Assert.Equal("sender@remote.example", forward.MailFrom);
        Assert.Equal(MessagePurpose.Deliver, forward.Purpose);
        Assert.NotEqual(message.BodyKey, forward.BodyKey);
        Assert.Equal("Hi", (await _harness.LoadAsync(forward)).Subject);
    }

    [Fact]
    public async Task Vacation_target_is_queued_as_a_vacation_reply_never_as_mail()
    {
        await _harness.DeliverAsync("sender@remote.example", "away@example.jp");

        Assert.Single(_harness.Inbox("away"));
        var vacation = Assert.Single(await DeliveryHarness.DrainAsync(_harness.Outbound)).Message;
        Assert.Equal(MessagePurpose.Vacation, vacation.Purpose);
        Assert.Equal(["away#example.jp@autoreply.example.jp"], vacation.Recipients);
    }

    [Fact]
    public async Task Over_quota_bounces_to_the_sender_with_a_readable_rfc_3464_report()
    {
        var big = DeliveryHarness.Message("too big") + new string('x', 2000) + "\r\n";
        var message = await _harness.AcceptAsync("sender@remote.example", ["tiny@example.jp"], big);

        var result = await _harness.Function.HandleAsync(message, CancellationToken.None);

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        Assert.Empty(_harness.Inbox("tiny"));
        var bounce = Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound)).Message;
        Assert.Equal(string.Empty, bounce.MailFrom);
        Assert.Equal(["sender@remote.example"], bounce.Recipients);
        var dsn = await _harness.LoadAsync(bounce);
        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Contains("Sorry, the user's maildir has overdrawn his diskspace quota, please try again later.",
            ((TextPart)report[0]).Text, StringComparison.Ordinal);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        var recipient = status.StatusGroups[1];
        Assert.Equal("rfc822; tiny@example.jp", recipient["Final-Recipient"]);
        Assert.Equal("failed", recipient["Action"]);
        Assert.Equal("5.2.2", recipient["Status"]);
        Assert.Equal("dns; mx.example.jp", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Contains("Subject: too big", report[2].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bounce_to_a_local_sender_is_delivered_into_its_mailbox()
    {
        var big = DeliveryHarness.Message("too big") + new string('x', 2000) + "\r\n";
        var message = await _harness.AcceptAsync("user1@example.jp", ["tiny@example.jp"], big);
        await _harness.Function.HandleAsync(message, CancellationToken.None);
        var bounce = Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound)).Message;

        var result = await _harness.Function.HandleAsync(bounce, CancellationToken.None);

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        var copy = Assert.Single(_harness.Inbox("user1"));
        Assert.StartsWith("Return-Path: <>\n", copy, StringComparison.Ordinal);
        Assert.Contains("Undelivered Mail Returned to Sender", copy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user3@example.jp")]
    [InlineData("nobody@example.jp")]
    [InlineData("abuse@example.jp")]
    public async Task Inactive_or_unknown_recipient_at_delivery_time_bounces_with_5_1_1(string recipient)
    {
        await _harness.DeliverAsync("sender@remote.example", recipient, "user1@example.jp");

        Assert.Single(_harness.Inbox("user1"));
        var dsn = await _harness.LoadAsync(Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound)).Message);
        var status = Status(dsn).StatusGroups[1];
        Assert.Equal("5.1.1", status["Status"]);
        Assert.Equal($"rfc822; {recipient}", status["Original-Recipient"]);
    }

    [Fact]
    public async Task Failure_for_the_null_sender_is_never_bounced()
    {
        var (_, result) = await _harness.DeliverAsync(string.Empty, "nobody@example.jp");

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        Assert.Empty(await DeliveryHarness.DrainAsync(_harness.Inbound));
    }

    [Fact]
    public async Task Alias_loop_bounces_the_recipient_as_a_routing_loop()
    {
        await _harness.DeliverAsync("sender@remote.example", "loop1@example.jp");

        var dsn = await _harness.LoadAsync(Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound)).Message);
        Assert.Equal("5.4.6", Status(dsn).StatusGroups[1]["Status"]);
    }

    [Fact]
    public async Task Same_queued_message_handled_twice_leaves_one_copy_one_forward_and_one_bounce()
    {
        var message = await _harness.AcceptAsync("sender@remote.example", ["user1@example.jp", "user2@example.jp", "nobody@example.jp"]);

        await _harness.Function.HandleAsync(message, CancellationToken.None);
        await _harness.Function.HandleAsync(message, CancellationToken.None);

        Assert.Single(_harness.Inbox("user1"));
        Assert.Single(_harness.Inbox("user2"));
        Assert.Single(await DeliveryHarness.DrainAsync(_harness.Outbound));
        Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound));
    }

    [Fact]
    public async Task Broken_mime_is_delivered_exactly_as_received()
    {
        const string broken = "Subject: =?utf-8?B?broken\r\nContent-Type: multipart/mixed; boundary=\"nope\r\n\r\n--wrong\r\n\x01\x02 binary\r\n";
        var message = await _harness.AcceptAsync("sender@remote.example", ["user1@example.jp"], broken);

        var result = await _harness.Function.HandleAsync(message, CancellationToken.None);

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        Assert.EndsWith(broken.Replace("\r\n", "\n", StringComparison.Ordinal), Assert.Single(_harness.Inbox("user1")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Temporary_failure_of_one_mailbox_retries_only_that_recipient()
    {
        // A file where user2's Maildir should be: its delivery fails with an I/O error.
        Directory.CreateDirectory(Path.Combine(_harness.Store.BasePath, "example.jp"));
        await File.WriteAllTextAsync(Path.Combine(_harness.Store.BasePath, "example.jp", "user2"), "in the way");

        var (_, result) = await _harness.DeliverAsync("sender@remote.example", "user1@example.jp", "user2@example.jp", "nobody@example.jp");

        Assert.Equal(FunctionOutcome.Retry, result.Outcome);
        Assert.Equal(["user2@example.jp"], result.Remaining!.Recipients);
        Assert.Single(_harness.Inbox("user1"));
        Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound));
    }

    [Fact]
    public async Task Missing_body_is_dead_lettered_with_the_reason()
    {
        var message = await _harness.AcceptAsync("sender@remote.example", ["user1@example.jp"]);
        await _harness.Blobs.DeleteAsync(message.BodyKey);

        var result = await _harness.Function.HandleAsync(message, CancellationToken.None);

        Assert.Equal(FunctionOutcome.DeadLetter, result.Outcome);
        Assert.Contains("missing", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directory_outage_is_a_retry_and_nothing_is_written_or_bounced()
    {
        var broken = DirectoryDatabase.Sqlite("Data Source=/nonexistent/dir/directory.db;Mode=ReadOnly");
        var down = new SqlAccountDirectory(broken, new PasswordService("MD5-CRYPT", "BLF-CRYPT", NullLogger<PasswordService>.Instance),
            NullLogger<SqlAccountDirectory>.Instance);
        using var harness = new DeliveryHarness(down);

        var (_, result) = await harness.DeliverAsync("sender@remote.example", "user1@example.jp");

        Assert.Equal(FunctionOutcome.Retry, result.Outcome);
        Assert.Contains("directory unavailable", result.Reason, StringComparison.Ordinal);
        Assert.Empty(await DeliveryHarness.DrainAsync(harness.Inbound));
    }

    [Fact]
    public async Task Thousands_of_recipients_are_handled_and_unknown_ones_bounced_in_one_report()
    {
        var recipients = Enumerable.Range(0, 2000).Select(i => $"nobody{i}@example.jp").Append("user1@example.jp").ToArray();

        var (_, result) = await _harness.DeliverAsync("sender@remote.example", recipients);

        Assert.Equal(FunctionOutcome.Done, result.Outcome);
        Assert.Single(_harness.Inbox("user1"));
        var dsn = await _harness.LoadAsync(Assert.Single(await DeliveryHarness.DrainAsync(_harness.Inbound)).Message);
        Assert.Equal(2000, Status(dsn).StatusGroups.Count(g => g.Contains("Final-Recipient")));
    }
}

public sealed class SqliteDeliverInboundTests(SqliteSeededDirectory seeded)
    : DeliverInboundTests(seeded), IClassFixture<SqliteSeededDirectory>;

public sealed class MariaDbDeliverInboundTests(MariaDbSeededDirectory seeded)
    : DeliverInboundTests(seeded), IClassFixture<MariaDbSeededDirectory>;
