using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Sieve;

/// <summary>
/// ManageSieve (RFC 5804) driven by Debian's sieve-connect over STARTTLS: upload, list, activate, download, check,
/// deactivate and delete; then a script uploaded this way files the next SMTP-delivered message, read over IMAP.
/// The files are where Pigeonhole would look for them.
/// </summary>
public sealed class ManageSieveClientTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;
    private readonly string _work = Directory.CreateTempSubdirectory("msl-sieve-").FullName;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Sieve_connect_drives_every_command_and_the_uploaded_script_files_the_next_message()
    {
        var script = Path.Combine(_work, "rules.sieve");
        await File.WriteAllTextAsync(script, "require [\"fileinto\", \"mailbox\"];\r\nif header :contains \"subject\" \"invoice\" { fileinto :create \"Invoices\"; }\r\n");

        await SieveConnectAsync("--upload", "--localsieve", script, "--remotesieve", "rules");
        Assert.Contains("rules", await SieveConnectAsync("--list"), StringComparison.Ordinal);
        await SieveConnectAsync("--activate", "--remotesieve", "rules");
        Assert.Contains("rules", (await SieveConnectAsync("--list")).Split('\n').Single(l => l.Contains("rules", StringComparison.Ordinal)), StringComparison.Ordinal);

        var root = _server.MaildirRoot("user1");
        Assert.Equal(await File.ReadAllTextAsync(script), await File.ReadAllTextAsync(Path.Combine(root, "sieve", "rules.sieve")));
        Assert.Equal(Path.Combine("sieve", "rules.sieve"), new FileInfo(Path.Combine(root, ".dovecot.sieve")).LinkTarget);

        var downloaded = Path.Combine(_work, "downloaded.sieve");
        await SieveConnectAsync("--download", "--remotesieve", "rules", "--localsieve", downloaded);
        Assert.Equal(await File.ReadAllTextAsync(script), await File.ReadAllTextAsync(downloaded));

        var bad = Path.Combine(_work, "bad.sieve");
        await File.WriteAllTextAsync(bad, "require \"fileinto\";\r\nfileinto \"x\"\r\n");
        var check = await SieveConnectAsync(["--checkscript", "--localsieve", bad], expectSuccess: false);
        Assert.Contains("line 3", check, StringComparison.Ordinal);

        // The active script files the next message delivered by SMTP.
        var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--from", "billing@remote.example",
            "--to", "user1@example.jp", "--header", "Subject: invoice 42"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output);
        using (var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await imap.ConnectAsync("127.0.0.1", _server.Imaps, SecureSocketOptions.SslOnConnect);
            await imap.AuthenticateAsync("user1@example.jp", MailServerInstance.Password);
            IMailFolder? invoices = null;
            for (var i = 0; i < 100 && invoices is null; i++)
            {
                invoices = (await imap.GetFoldersAsync(imap.PersonalNamespaces[0])).FirstOrDefault(f => f.Name == "Invoices");
                if (invoices is null)
                {
                    await Task.Delay(200);
                }
            }

            Assert.NotNull(invoices);
            await invoices.OpenAsync(FolderAccess.ReadOnly);
            for (var i = 0; i < 100 && invoices.Count == 0; i++)
            {
                await Task.Delay(200);
                await invoices.StatusAsync(StatusItems.Count);
            }

            Assert.Equal("invoice 42", (await invoices.GetMessageAsync(0)).Subject);
        }

        await SieveConnectAsync("--deactivate");
        Assert.False(File.Exists(Path.Combine(root, ".dovecot.sieve")));
        await SieveConnectAsync("--delete", "--remotesieve", "rules");
        Assert.False(File.Exists(Path.Combine(root, "sieve", "rules.sieve")));
        Assert.DoesNotContain("rules", await SieveConnectAsync("--list"), StringComparison.Ordinal);
    }

    private Task<string> SieveConnectAsync(params string[] arguments) => SieveConnectAsync(arguments, expectSuccess: true);

    private async Task<string> SieveConnectAsync(string[] arguments, bool expectSuccess)
    {
        var result = await ProcessRunner.RunAsync("sieve-connect",
            ["--server", "127.0.0.1", "--port", _server.ManageSieve.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--user", "user1@example.jp", "--passwordfd", "0", "--notlsverify", .. arguments],
            input: MailServerInstance.Password + "\n", timeout: TimeSpan.FromSeconds(60));
        var output = result.Output + result.Error;
        Assert.True(!expectSuccess || result.ExitCode == 0, $"sieve-connect {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{output}\n{_server.Output}");
        return output;
    }
}
