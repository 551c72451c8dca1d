using System.Net.Http.Json;
using MailKit;
using MailKit.Net.Imap;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Cluster;

/// <summary>
/// Two edge servers and two workers as separate processes on SQS + S3 (the emulator), one MariaDB and one
/// shared Maildir base: what AWS runs on EC2, Lambda and EFS, here on one machine.
/// </summary>
public sealed class EdgeWorkerClusterTests : IAsyncLifetime
{
    private MailCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await MailCluster.StartAsync(edges: 2, workers: 2, "--Mail:Queue:VisibilityTimeout=00:00:05");

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static async Task<IList<IMessageSummary>> InboxAsync(MailCluster.Node edge, string user)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", edge.Imaps, MailKit.Security.SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync($"{user}@example.jp", MailServerInstance.Password);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var summaries = imap.Inbox.Count == 0 ? [] : await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope);
        await imap.DisconnectAsync(true);
        return summaries;
    }

    [Fact]
    public async Task Mail_sent_to_either_edge_appears_once_with_distinct_uids_over_imap_on_the_other()
    {
        var subjects = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var edge = _cluster.Edges[i % 2];
            var subject = $"via {edge.Name} number {i}";
            subjects.Add(subject);
            var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{edge.Smtp}", "--from", "a@remote.example",
                "--to", "user1@example.jp", "--header", $"Subject: {subject}"]);
            Assert.True(swaks.ExitCode == 0, swaks.Output);
        }

        IList<IMessageSummary> seen = [];
        for (var attempt = 0; attempt < 100 && seen.Count < subjects.Count; attempt++)
        {
            await Task.Delay(200);
            seen = await InboxAsync(_cluster.Edges[1], "user1");
        }

        Assert.True(seen.Count == subjects.Count, _cluster.Output);
        Assert.Equal(subjects.Order(), seen.Select(s => s.Envelope!.Subject).Order());
        Assert.Equal(seen.Count, seen.Select(s => s.UniqueId).Distinct().Count());
        var other = await InboxAsync(_cluster.Edges[0], "user1");
        Assert.Equal(seen.Select(s => (s.UniqueId, s.Envelope!.Subject)), other.Select(s => (s.UniqueId, s.Envelope!.Subject)));
        // Both workers took part (the queue is shared), and the edges delivered nothing themselves.
        Assert.All(_cluster.Edges, e => Assert.DoesNotContain("status=sent", e.Output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Edge_decides_the_authentication_results_and_the_worker_writes_them_with_a_forged_one_removed()
    {
        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_cluster.Edges[0].Smtp}", "--from", "a@remote.example",
            "--to", "user2@example.jp", "--header", "Subject: checked at the edge",
            "--add-header", "Authentication-Results: mx.example.jp; dkim=pass header.d=bank.example"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);

        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", _cluster.Edges[1].Imaps, MailKit.Security.SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync("user2@example.jp", MailServerInstance.Password);
        MimeKit.MimeMessage? message = null;
        for (var attempt = 0; attempt < 100 && message is null; attempt++)
        {
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
            if (imap.Inbox.Count > 0)
            {
                message = await imap.Inbox.GetMessageAsync(imap.Inbox.Count - 1);
            }
            else
            {
                await imap.Inbox.CloseAsync();
                await Task.Delay(200);
            }
        }

        Assert.True(message is not null, _cluster.Output);
        var results = message.Headers.Where(h => h.Id == MimeKit.HeaderId.AuthenticationResults).Select(h => h.Value).ToList();
        var ours = Assert.Single(results);
        Assert.Contains("spf=none", ours, StringComparison.Ordinal);
        Assert.DoesNotContain("bank.example", ours, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workers_killed_mid_batch_lose_nothing_and_duplicate_nothing()
    {
        var report = await FaultHarness.RunAsync(_cluster, messages: 300, senders: 6, killCycles: 3);
        Assert.True(report.Lost == 0 && report.Duplicated == 0,
            $"lost: {report.Lost}, duplicated: {report.Duplicated}\n{string.Join('\n', report.Problems.Take(20))}\n{_cluster.Output[^Math.Min(_cluster.Output.Length, 20000)..]}");
        Assert.True(report.Acknowledged >= 300);
        Assert.Equal(3, report.KillCycles);
    }

    [Fact]
    public async Task A_mailbox_made_through_the_api_process_gets_its_welcome_mail_through_the_queue_and_each_mode_serves_only_its_part()
    {
        var api = await _cluster.StartApiAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api.Http}/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin@example.jp:{MailServerInstance.Password}")));
        var created = await http.PostAsync("api/mailboxes", JsonContent.Create(new { address = "newcomer@example.jp", password = "a-long-password", name = "Newcomer" }));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());

        IList<IMessageSummary> inbox = [];
        for (var attempt = 0; attempt < 100 && inbox.Count == 0; attempt++)
        {
            await Task.Delay(200);
            using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
            await imap.ConnectAsync("127.0.0.1", _cluster.Edges[0].Imaps, MailKit.Security.SecureSocketOptions.SslOnConnect);
            await imap.AuthenticateAsync("newcomer@example.jp", "a-long-password");
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
            inbox = imap.Inbox.Count == 0 ? [] : await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope);
        }

        Assert.True(inbox.Count == 1, _cluster.Output);
        Assert.Equal("Welcome", inbox[0].Envelope!.Subject);

        // An edge serves no admin API, a worker serves neither; both answer /health.
        using var edge = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_cluster.Edges[0].Http}/") };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await edge.GetAsync("api/domains")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await edge.GetAsync("health")).StatusCode);
        using var worker = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_cluster.Workers[0].Http}/") };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await worker.GetAsync("api/domains")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await worker.GetAsync("health")).StatusCode);
    }
}
