using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>
/// The README's quick start, run as written: its "Adding domains and mailboxes" blocks go to bash as they are, on a
/// server started as the README says on a fresh data directory. Only what a test must change is changed: the
/// default ports become free ones, the data directory is given in the environment (the documented way), the
/// printed superadmin password replaces PASSWORD, and <c>dotnet run</c> does not build again.
/// </summary>
public sealed partial class ReadmeQuickStartTests
{
    /// <summary>The shell blocks of the README section <paramref name="heading"/>, in order.</summary>
    private static List<string> Blocks(string readme, string heading)
    {
        var start = readme.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the README has no section '{heading}'");
        var end = readme.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];
        return ShellBlock().Matches(section).Select(m => m.Groups[1].Value).ToList();
    }

    [Fact]
    public async Task The_quick_start_as_written_makes_a_domain_and_mailboxes_whose_mail_arrives_over_imap()
    {
        var root = Repository.Root;
        var blocks = Blocks(await File.ReadAllTextAsync(Path.Combine(root, "README.md")), "### Adding domains and mailboxes");
        Assert.Equal(2, blocks.Count);
        await using var server = await MailServerInstance.StartAsReadmeSaysAsync(root, seeded: false);
        var superadmin = (await File.ReadAllLinesAsync(Path.Combine(server.DataDirectory, "superadmin-password")))[1];

        foreach (var block in blocks)
        {
            var script = block
                .Replace("127.0.0.1:2525", $"127.0.0.1:{server.Smtp}", StringComparison.Ordinal)
                .Replace("127.0.0.1:8080", $"127.0.0.1:{server.Http}", StringComparison.Ordinal)
                .Replace("PASSWORD", superadmin, StringComparison.Ordinal)
                .Replace("dotnet run --project", "dotnet run --no-build --project", StringComparison.Ordinal);
            var result = await ProcessRunner.RunAsync("bash", ["-euo", "pipefail", "-c", script],
                environment: new Dictionary<string, string> { ["Mail__DataDirectory"] = server.DataDirectory },
                timeout: TimeSpan.FromMinutes(3), workingDirectory: root);
            Assert.True(result.ExitCode == 0, $"{script}\n---\n{result.Output}\n{result.Error}\n---\n{server.Output}");
        }

        // Every mailbox the blocks made logs in with the password they gave it, and has its mail.
        var mailboxes = Mailbox().Matches(string.Join('\n', blocks)).Select(m => (Address: m.Groups["address"].Value, Password: m.Groups["password"].Value)).ToList();
        Assert.Equal(2, mailboxes.Count);
        foreach (var (address, password) in mailboxes)
        {
            using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
            await client.ConnectAsync("127.0.0.1", server.Imaps, SecureSocketOptions.SslOnConnect);
            await client.AuthenticateAsync(address, password);
            await client.Inbox!.OpenAsync(FolderAccess.ReadOnly);
            var subjects = (await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(m => m.Envelope?.Subject).ToList();
            Assert.Contains("Welcome", subjects);
            if (address == mailboxes[0].Address)
            {
                // swaks's own test message, sent to the alias the quick start made.
                for (var i = 0; i < 100 && !subjects.Any(s => s?.StartsWith("test ", StringComparison.Ordinal) == true); i++)
                {
                    await Task.Delay(100);
                    await client.Inbox.CloseAsync();
                    await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
                    subjects = (await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(m => m.Envelope?.Subject).ToList();
                }

                Assert.Contains(subjects, s => s?.StartsWith("test ", StringComparison.Ordinal) == true);
            }

            await client.DisconnectAsync(true);
        }
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    /// <summary>A mailbox the blocks make, with its password: by the command line or through the API.</summary>
    [GeneratedRegex(@"echo '(?<password>[^']+)' \| \$M admin mailbox add (?<address>\S+)|""address"":""(?<address>[^""]+)"",""password"":""(?<password>[^""]+)""")]
    private static partial Regex Mailbox();
}
