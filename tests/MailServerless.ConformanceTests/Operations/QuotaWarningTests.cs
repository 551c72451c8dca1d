using System.Net;
using System.Net.Http.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MailServerless.ConformanceTests.Relay;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// Dovecot's quota_warning: a mailbox filled by SMTP deliveries gets one warning as it crosses 80 % and one as it
/// crosses 95 %, in its owner's language; emptied below and filled again, it is warned again. <c>admin quota get</c> and
/// <c>recalc</c> report the use as Dovecot's <c>doveadm quota</c> does.
/// </summary>
public sealed class QuotaWarningTests : IAsyncLifetime
{
    private const long Quota = 24_000;
    private MailServerInstance _server = null!;

    public async Task InitializeAsync()
    {
        _server = await MailServerInstance.StartAsync();
        using var api = RelayScenario.AdminApi(_server);
        foreach (var (address, language) in new[] { ("filling@example.jp", "en"), ("nihongo@example.jp", "ja") })
        {
            var created = await api.PostAsJsonAsync("api/mailboxes", new { address, password = "a long password", quota = Quota, language });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_filling_mailbox_is_warned_once_at_80_and_once_at_95_percent_and_again_after_it_is_emptied()
    {
        // About 1.1 KB a message (4.4 % of the quota, less than the 5 % between 95 % and full): each line is passed, below 100 %.
        var sent = await FillAsync("filling", 0, () => Warnings("filling").Any(w => w.Subject.Contains("95%", StringComparison.Ordinal)));

        var warnings = Warnings("filling");
        Assert.Equal(["Your mailbox is over 80% full", "Your mailbox is over 95% full"], warnings.Select(w => w.Subject).Order(StringComparer.Ordinal));
        Assert.All(warnings, w => Assert.Contains("Auto-Submitted: auto-generated", w.Text, StringComparison.Ordinal));
        Assert.Contains("The mailbox filling@example.jp uses", warnings[0].Text, StringComparison.Ordinal);

        // The owner deletes most of it: under 80 % again, and the next crossing is warned again (once).
        using (var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await imap.ConnectAsync("127.0.0.1", _server.Imaps, SecureSocketOptions.SslOnConnect);
            await imap.AuthenticateAsync("filling@example.jp", "a long password");
            await imap.Inbox!.OpenAsync(FolderAccess.ReadWrite);
            var fillers = await imap.Inbox.SearchAsync(SearchQuery.SubjectContains("filler"));
            await imap.Inbox.AddFlagsAsync(fillers.Take(10).ToList(), MessageFlags.Deleted, silent: true);
            await imap.Inbox.ExpungeAsync();
            await imap.DisconnectAsync(true);
        }

        await FillAsync("filling", sent, () => Warnings("filling").Count(w => w.Subject.Contains("80%", StringComparison.Ordinal)) == 2);

        Assert.Equal(2, Warnings("filling").Count(w => w.Subject == "Your mailbox is over 80% full"));
        Assert.Single(Warnings("filling"), w => w.Subject == "Your mailbox is over 95% full");
    }

    [Fact]
    public async Task The_warning_is_in_the_owners_language()
    {
        await FillAsync("nihongo", 0, () => Warnings("nihongo").Count > 0);

        var warning = Assert.Single(Warnings("nihongo"), w => w.Subject.Contains("80%", StringComparison.Ordinal));
        Assert.Equal("メールボックスの使用量が 80% を超えました", warning.Subject);
        Assert.Contains("nihongo@example.jp のメールボックスは", warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_quota_get_and_recalc_report_the_use_as_doveadm_does()
    {
        await SendAsync("filling", "one message");
        var got = await AdminAsync("quota", "get", "filling@example.jp", "--json");
        Assert.True(got.ExitCode == 0, got.Output + got.Error);
        var used = System.Text.Json.JsonDocument.Parse(got.Output).RootElement[0];
        Assert.Equal(Quota, used.GetProperty("limit").GetInt64());
        // The welcome message and the one sent.
        Assert.Equal(2, used.GetProperty("messages").GetInt64());

        // A maildirsize that lies (edited by hand, or left by another tool) is put right by recalc.
        var maildirsize = Path.Combine(_server.DataDirectory, "virtual", "example.jp", "filling", "maildirsize");
        await File.WriteAllTextAsync(maildirsize, $"{Quota}S\n999999 77\n");
        var recalculated = await AdminAsync("quota", "recalc", "filling@example.jp", "--json");
        Assert.True(recalculated.ExitCode == 0, recalculated.Output + recalculated.Error);
        var fresh = System.Text.Json.JsonDocument.Parse(recalculated.Output).RootElement[0];
        Assert.Equal(used.GetProperty("bytes").GetInt64(), fresh.GetProperty("bytes").GetInt64());
        Assert.Equal(2, fresh.GetProperty("messages").GetInt64());

        var all = await AdminAsync("quota", "get", "--domain", "example.jp");
        Assert.True(all.ExitCode == 0, all.Output + all.Error);
        Assert.Contains("filling@example.jp\t", all.Output, StringComparison.Ordinal);
        Assert.Contains("user1@example.jp\t", all.Output, StringComparison.Ordinal);
    }

    private Task<ProcessRunner.Result> AdminAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "admin", .. arguments, $"--Mail:DataDirectory={_server.DataDirectory}"]);

    private async Task SendAsync(string localPart, string subject)
    {
        var result = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--from", "a@remote.example",
            "--to", $"{localPart}@example.jp", "--header", $"Subject: {subject}", "--body", string.Concat(Enumerable.Repeat(new string('y', 70) + "\n", 6))]);
        Assert.True(result.ExitCode == 0, result.Output);
        await _server.WaitForMessageAsync(localPart, subject);
        // The warning is written after the copy, before the message leaves the queue.
        await _server.WaitUntilDeliveredAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends fillers (numbered from <paramref name="first"/>) until <paramref name="done"/> holds; returns the next number.</summary>
    private async Task<int> FillAsync(string localPart, int first, Func<bool> done)
    {
        for (var i = first; i < first + 40; i++)
        {
            await SendAsync(localPart, $"filler {i}");
            if (done())
            {
                return i + 1;
            }
        }

        Assert.Fail($"40 messages later, {localPart} has warnings: {string.Join(", ", Warnings(localPart).Select(w => w.Subject))}; maildirsize: " +
                    await File.ReadAllTextAsync(Path.Combine(_server.DataDirectory, "virtual", "example.jp", localPart, "maildirsize")));
        return 0;
    }

    /// <summary>The quota warnings in the mailbox's inbox.</summary>
    private List<(string Subject, string Text)> Warnings(string localPart)
    {
        var root = Path.Combine(_server.DataDirectory, "virtual", "example.jp", localPart);
        return new[] { "new", "cur" }.Select(s => Path.Combine(root, s)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFiles)
            .Select(f => MimeKit.MimeMessage.Load(f))
            .Where(m => m.From.Mailboxes.Any(a => a.Address == "postmaster@example.jp") && m.Subject != "Welcome")
            .Select(m => (m.Subject ?? string.Empty, string.Concat(m.Headers.Select(h => $"{h.Field}: {h.Value}\n")) + m.TextBody))
            .ToList();
    }
}
