using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Sieve;

/// <summary>
/// Sieve at delivery, with the scripts where Pigeonhole keeps them (<c>~/sieve/*.sieve</c>, the active one linked
/// from <c>~/.dovecot.sieve</c>, the Maildir as home): filing into folders read back over IMAP, discard, redirect
/// with an SRS sender, a script that does not compile, and a Pigeonhole tree migrated as it is.
/// </summary>
public sealed partial class SieveDeliveryTests
{
    [Fact]
    public async Task Active_script_files_mail_into_a_folder_read_back_over_imap()
    {
        await using var server = await MailServerInstance.StartAsync();
        Install(server, "user1", "rules", """
            require ["fileinto", "mailbox", "imap4flags"];
            if header :contains "subject" "report" {
                fileinto :create "Reports";
            } elsif address :is :domain "from" "noise.example" {
                discard;
            }
            """);

        await SendAsync(server, "boss@remote.example", "user1@example.jp", "Monthly report");
        await SendAsync(server, "ads@noise.example", "user1@example.jp", "buy now");
        await SendAsync(server, "friend@remote.example", "user1@example.jp", "lunch?");
        await server.WaitForMessageAsync("user1", "lunch?");

        using var imap = await LoginAsync(server, "user1");
        var reports = await imap.GetFolderAsync("Reports");
        await reports.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(["Monthly report"], (await reports.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(m => m.Envelope!.Subject));
        await imap.Inbox!.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(["lunch?"], (await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(m => m.Envelope!.Subject));
    }

    [Fact]
    public async Task A_pigeonhole_tree_with_compiled_binaries_works_unchanged()
    {
        await using var server = await MailServerInstance.StartAsync();
        var root = Install(server, "user2", "roundcube", """
            require ["fileinto"];
            # rule: lists
            if header :contains "list-id" "dev.lists.example" { fileinto "Lists"; stop; }
            """);
        // What Pigeonhole leaves beside the scripts: compiled binaries, another script, its log. All are ignored.
        await File.WriteAllBytesAsync(Path.Combine(root, "sieve", "roundcube.svbin"), [0x0A, 0x0D, 0x1A, 0x00, 0xFF]);
        await File.WriteAllTextAsync(Path.Combine(root, "sieve", "old.sieve"), "discard;");
        await File.WriteAllBytesAsync(Path.Combine(root, ".dovecot.svbin"), [0x00, 0x01]);
        Directory.CreateDirectory(Path.Combine(root, ".Lists", "cur"));
        Directory.CreateDirectory(Path.Combine(root, ".Lists", "new"));
        Directory.CreateDirectory(Path.Combine(root, ".Lists", "tmp"));

        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "dev@lists.example",
            "--to", "user2@example.jp", "--header", "Subject: [dev] release", "--add-header", "List-Id: <dev.lists.example>"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);
        var filed = await WaitInFolderAsync(root, ".Lists", "[dev] release");
        Assert.Contains("List-Id: <dev.lists.example>", filed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirect_leaves_through_the_outbound_queue_with_an_srs_sender()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await MailServerInstance.StartAsync(
            "--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={sink.Port}", "--Mail:Relay:RequireTls=false");
        Install(server, "user3", "forward", "redirect \"me@elsewhere.example\";");

        await SendAsync(server, "alice@remote.example", "user3@example.jp", "passed along");
        var forward = await sink.WaitForMessageAsync("Subject: passed along");
        Assert.Matches("^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=remote.example=alice@mx.example.jp$", MailArgs().Match(forward).Groups["sender"].Value);
        Assert.Contains("X-Rcpt-Args: <me@elsewhere.example>", forward, StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.DoesNotContain(server.Inbox("user3"), m => m.Contains("passed along", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Vacation_replies_once_per_sender_per_period()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var server = await MailServerInstance.StartAsync(
            "--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", $"--Mail:Relay:Port={sink.Port}", "--Mail:Relay:RequireTls=false");
        Install(server, "user5", "away", "require \"vacation\";\nvacation :days 2 :subject \"Away until Monday\" \"I am away; back on Monday.\";\n");

        await SendAsync(server, "carol@remote.example", "user5@example.jp", "first question");
        await SendAsync(server, "carol@remote.example", "user5@example.jp", "second question");
        await SendAsync(server, "dave@remote.example", "user5@example.jp", "dave asks");
        await server.WaitForMessageAsync("user5", "dave asks");

        var replies = new List<string>();
        for (var i = 0; i < 100 && replies.Count < 2; i++)
        {
            await Task.Delay(200);
            replies = sink.Messages().Where(m => m.Contains("Subject: Away until Monday", StringComparison.Ordinal)).ToList();
        }

        await Task.Delay(1000); // a second reply to carol would have arrived by now
        replies = sink.Messages().Where(m => m.Contains("Subject: Away until Monday", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, replies.Count);
        Assert.Single(replies, r => r.Contains("X-Rcpt-Args: <carol@remote.example>", StringComparison.Ordinal));
        Assert.Single(replies, r => r.Contains("X-Rcpt-Args: <dave@remote.example>", StringComparison.Ordinal));
        Assert.All(replies, r => Assert.Contains("X-Mail-Args: <>", r, StringComparison.Ordinal));
        Assert.All(replies, r => Assert.Contains("Auto-Submitted: auto-replied", r, StringComparison.Ordinal));
        // Both questions are kept (vacation does not cancel the implicit keep).
        Assert.Equal(3, server.Inbox("user5").Length);
    }

    [Fact]
    public async Task Duplicate_remembers_a_message_id_across_deliveries()
    {
        await using var server = await MailServerInstance.StartAsync();
        var root = Install(server, "user1", "dups", "require [\"duplicate\", \"fileinto\", \"mailbox\"];\nif duplicate { fileinto :create \"Duplicates\"; }\n");
        foreach (var subject in new[] { "copy one", "copy two" })
        {
            var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "list@remote.example",
                "--to", "user1@example.jp", "--header", $"Subject: {subject}", "--header", "Message-Id: <same-id@remote.example>"]);
            Assert.True(swaks.ExitCode == 0, swaks.Output);
            if (subject == "copy one")
            {
                await server.WaitForMessageAsync("user1", "copy one");
            }
        }

        var second = await WaitInFolderAsync(root, ".Duplicates", "copy two");
        Assert.Contains("same-id@remote.example", second, StringComparison.Ordinal);
        Assert.Single(server.Inbox("user1"));
    }

    [Fact]
    public async Task A_script_that_does_not_compile_keeps_the_mail_and_tells_the_user_why()
    {
        await using var server = await MailServerInstance.StartAsync();
        var root = Install(server, "user4", "broken", "require \"fileinto\";\nif header :contains \"subject\" \"x\" { fileinto \"X\" }\n");

        await SendAsync(server, "a@remote.example", "user4@example.jp", "still arrives");
        await server.WaitForMessageAsync("user4", "still arrives");
        var log = await File.ReadAllTextAsync(Path.Combine(root, ".dovecot.sieve.log"));
        Assert.Contains("line 2", log, StringComparison.Ordinal); // the missing ";" before "}"
    }

    [Fact]
    public async Task Imap4flags_flags_and_keywords_are_on_the_stored_copy_as_dovecot_stores_them()
    {
        await using var server = await MailServerInstance.StartAsync();
        var root = Install(server, "user1", "flags", """
            require ["fileinto", "mailbox", "imap4flags"];
            if header :contains "subject" "urgent" {
                addflag ["\\Flagged", "$Important"];
                fileinto :create :flags "\\Seen $Later" "Later";
                keep;
            }
            """);

        await SendAsync(server, "boss@remote.example", "user1@example.jp", "urgent: call me");
        await server.WaitForMessageAsync("user1", "urgent: call me");
        await WaitInFolderAsync(root, ".Later", "urgent: call me");

        // Flagged mail goes straight to cur/ with its letters; keywords by dovecot-keywords, as Dovecot's LDA saves it.
        var inbox = Assert.Single(Directory.GetFiles(Path.Combine(root, "cur")));
        Assert.EndsWith(":2,Fa", inbox, StringComparison.Ordinal);
        Assert.Equal("0 $Important\n", (await File.ReadAllTextAsync(Path.Combine(root, "dovecot-keywords"))).ReplaceLineEndings("\n"));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "new")));

        using var imap = await LoginAsync(server, "user1");
        await imap.Inbox!.OpenAsync(FolderAccess.ReadOnly);
        var kept = Assert.Single(await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags));
        Assert.True(kept.Flags!.Value.HasFlag(MessageFlags.Flagged));
        Assert.False(kept.Flags.Value.HasFlag(MessageFlags.Seen));
        Assert.Contains("$Important", kept.Keywords);
        var later = await imap.GetFolderAsync("Later");
        await later.OpenAsync(FolderAccess.ReadOnly);
        var filed = Assert.Single(await later.FetchAsync(0, -1, MessageSummaryItems.Flags));
        Assert.True(filed.Flags!.Value.HasFlag(MessageFlags.Seen));
        Assert.False(filed.Flags.Value.HasFlag(MessageFlags.Flagged)); // :flags replaces the internal variable's flags
        Assert.Equal(["$Later"], filed.Keywords);
    }

    [Fact]
    public async Task Editheader_changes_are_on_the_stored_copy()
    {
        await using var server = await MailServerInstance.StartAsync();
        Install(server, "user2", "edit", """
            require ["editheader"];
            addheader "X-Filtered" "by sieve";
            addheader :last "X-Note" "café";
            deleteheader "X-Tracking";
            """);

        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "a@remote.example",
            "--to", "user2@example.jp", "--header", "Subject: edited", "--add-header", "X-Tracking: 12345"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);
        var stored = await server.WaitForMessageAsync("user2", "Subject: edited");
        Assert.StartsWith("X-Filtered: by sieve\n", stored.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("X-Tracking", stored, StringComparison.Ordinal);
        var header = MimeKit.HeaderList.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stored)));
        Assert.Equal("X-Note", header[^1].Field);
        Assert.Equal("café", header[^1].Value); // encoded (RFC 2047) on the way in, the last field (:last)
        Assert.Contains("Return-Path: <a@remote.example>", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reject_sends_the_sender_an_mdn_and_stores_nothing()
    {
        await using var server = await MailServerInstance.StartAsync();
        Install(server, "user3", "refuse", "require \"reject\";\nif header :contains \"subject\" \"offer\" { reject \"I do not take offers.\"; }\n");

        // The sender is a local mailbox, so the refusal is read back where it lands.
        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Submission}", "--tls", "--auth", "PLAIN",
            "--auth-user", "user4@example.jp", "--auth-password", MailServerInstance.Password, "--from", "user4@example.jp",
            "--to", "user3@example.jp", "--header", "Subject: special offer"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);
        var mdn = await server.WaitForMessageAsync("user4", "Rejected: special offer");
        Assert.Contains("Return-Path: <>", mdn, StringComparison.Ordinal);
        Assert.Contains("report-type=disposition-notification", mdn, StringComparison.Ordinal);
        Assert.Contains("Disposition: automatic-action/MDN-sent-automatically; deleted", mdn, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; user3@example.jp", mdn, StringComparison.Ordinal);
        Assert.Contains("I do not take offers.", mdn, StringComparison.Ordinal);
        Assert.Contains("Auto-Submitted: auto-replied (rejected)", mdn, StringComparison.Ordinal);
        Assert.Contains("Content-Type: message/rfc822", mdn, StringComparison.Ordinal);
        Assert.Empty(server.Inbox("user3"));
    }

    [Fact]
    public async Task The_default_before_script_files_mail_marked_spam_into_junk_before_the_users_rules()
    {
        await using var server = await MailServerInstance.StartAsync();
        var root = Install(server, "user5", "everything", "require \"fileinto\";\nfileinto \"Everything\";\n");
        Directory.CreateDirectory(Path.Combine(root, ".Everything", "cur"));
        Directory.CreateDirectory(Path.Combine(root, ".Everything", "new"));
        Directory.CreateDirectory(Path.Combine(root, ".Everything", "tmp"));

        // A local user's submission keeps its header as written, standing in for the MX's own verdict.
        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Submission}", "--tls", "--auth", "PLAIN",
            "--auth-user", "user1@example.jp", "--auth-password", MailServerInstance.Password, "--from", "user1@example.jp",
            "--to", "user5@example.jp", "--header", "Subject: marked", "--add-header", "X-Spam: Yes"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);
        // From outside, a sender's own mark is removed at the MX: it cannot choose the folder.
        var forged = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "a@remote.example",
            "--to", "user5@example.jp", "--header", "Subject: forged", "--add-header", "X-Spam: Yes"]);
        Assert.True(forged.ExitCode == 0, forged.Output);

        Assert.Contains("X-Spam: Yes", await WaitInFolderAsync(root, ".Junk", "Subject: marked"), StringComparison.Ordinal);
        Assert.DoesNotContain("X-Spam", await WaitInFolderAsync(root, ".Everything", "Subject: forged"), StringComparison.Ordinal);
        // The default before-script ends filtering for spam: the user's rule did not also file it.
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(root, ".Everything", "new")), f => File.ReadAllText(f).Contains("Subject: marked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notify_sends_a_mailto_notification_but_not_about_automatic_mail()
    {
        await using var server = await MailServerInstance.StartAsync();
        Install(server, "user1", "tell", """
            require ["enotify", "variables"];
            if header :matches "subject" "*" { set "subject" "${1}"; }
            notify :importance "1" :message "New: ${subject}" "mailto:user2@example.jp?body=Look%20at%20your%20inbox";
            """);

        var automatic = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "robot@remote.example",
            "--to", "user1@example.jp", "--header", "Subject: robot report", "--add-header", "Auto-Submitted: auto-generated"]);
        Assert.True(automatic.ExitCode == 0, automatic.Output);
        await server.WaitForMessageAsync("user1", "robot report");
        await SendAsync(server, "boss@remote.example", "user1@example.jp", "quarterly numbers");

        var notification = await server.WaitForMessageAsync("user2", "Subject: New: quarterly numbers");
        Assert.Contains("Return-Path: <>", notification, StringComparison.Ordinal);
        Assert.Contains("From: user1@example.jp", notification, StringComparison.Ordinal);
        Assert.Contains("Auto-Submitted: auto-notified", notification, StringComparison.Ordinal);
        Assert.Contains("X-Priority: 1 (Highest)", notification, StringComparison.Ordinal);
        Assert.Contains("Look at your inbox", notification, StringComparison.Ordinal);
        await server.WaitForMessageAsync("user1", "quarterly numbers"); // notify keeps the message
        await Task.Delay(500);
        Assert.Single(server.Inbox("user2")); // none about the automatic report (RFC 5436 §2.7)
    }

    /// <summary>Writes <c>~/sieve/NAME.sieve</c> and makes it the active script (the symbolic link ManageSieve makes).</summary>
    private static string Install(MailServerInstance server, string user, string name, string script)
    {
        var root = server.MaildirRoot(user);
        Directory.CreateDirectory(Path.Combine(root, "sieve"));
        File.WriteAllText(Path.Combine(root, "sieve", name + ".sieve"), script.ReplaceLineEndings("\r\n"));
        File.CreateSymbolicLink(Path.Combine(root, ".dovecot.sieve"), Path.Combine("sieve", name + ".sieve"));
        return root;
    }

    private static async Task SendAsync(MailServerInstance server, string from, string to, string subject)
    {
        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", from, "--to", to, "--header", $"Subject: {subject}"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);
    }

    private static async Task<ImapClient> LoginAsync(MailServerInstance server, string user)
    {
        var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", server.Imaps, SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync($"{user}@example.jp", MailServerInstance.Password);
        return imap;
    }

    private static async Task<string> WaitInFolderAsync(string root, string folder, string marker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var found = new[] { "new", "cur" }.Select(s => Path.Combine(root, folder, s)).Where(Directory.Exists)
                .SelectMany(Directory.EnumerateFiles).Select(File.ReadAllText).FirstOrDefault(m => m.Contains(marker, StringComparison.Ordinal));
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no message with '{marker}' in {folder}");
    }

    [GeneratedRegex("X-Mail-Args: <(?<sender>[^>]*)>")]
    private static partial Regex MailArgs();
}
