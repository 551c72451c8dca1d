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
        var list = await SieveConnectAsync("--debug", "--list");
        Assert.Contains("rules", list, StringComparison.Ordinal);
        // After STARTTLS it sends NOOP with a tag, and reads its capabilities only once the tag comes back (RFC 5804 §2.11.1).
        Assert.Contains("NOOP \"STARTTLS-RESYNC-CAPA\"", list, StringComparison.Ordinal);
        Assert.Contains("OK (TAG \"STARTTLS-RESYNC-CAPA\")", list, StringComparison.Ordinal);
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

    /// <summary>
    /// What sieve-connect has no command for (it says so: no HAVESPACE, no RENAMESCRIPT), driven by Debian's
    /// python3-sievelib, another real client, over STARTTLS.
    /// </summary>
    [Fact]
    public async Task Sievelib_drives_havespace_and_renamescript_and_the_active_link_follows_the_rename()
    {
        const string client = """
            import sys
            from sievelib.managesieve import Client
            c = Client("127.0.0.1", int(sys.argv[1]))
            assert c.connect(sys.argv[2], sys.argv[3], starttls=True, authmech="PLAIN"), c.errmsg
            print("SIEVE", " ".join(c.get_sieve_capabilities()))
            print("NOTIFY", c._Client__capabilities.get("NOTIFY"))
            print("HAVESPACE-SMALL", c.havespace("rules", 1000))
            print("HAVESPACE-HUGE", c.havespace("rules", 100 * 1024 * 1024))
            print("PUT", c.putscript("first", 'require "fileinto";\r\nfileinto "Renamed";\r\n'))
            print("ACTIVE", c.setactive("first"))
            print("RENAME", c.renamescript("first", "second"))
            print("RENAME-MISSING", c.renamescript("nothing", "other"))
            print("LIST", c.listscripts())
            print("GET", repr(c.getscript("second")))
            print("CHECK-BAD", c.checkscript('fileinto "x";\r\n'), c.errmsg)
            print("DELETE-ACTIVE", c.deletescript("second"))
            print("LOGOUT", c.logout())
            """;
        // Debian's own interpreter, which has the package (python3 on the PATH may be another one).
        var result = await ProcessRunner.RunAsync("/usr/bin/python3",
            ["-c", client, _server.ManageSieve.ToString(System.Globalization.CultureInfo.InvariantCulture), "user1@example.jp", MailServerInstance.Password],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Output + result.Error + _server.Output);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ')[0], l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]);

        Assert.Contains("fileinto", lines["SIEVE"].Split(' '));
        Assert.Contains("enotify", lines["SIEVE"].Split(' '));
        Assert.Equal("mailto", lines["NOTIFY"]); // RFC 5804 §1.7: enotify's methods
        Assert.Equal("True", lines["HAVESPACE-SMALL"]);
        Assert.Equal("False", lines["HAVESPACE-HUGE"]);
        Assert.Equal("True", lines["PUT"]);
        Assert.Equal("True", lines["ACTIVE"]);
        Assert.Equal("True", lines["RENAME"]);
        Assert.Equal("False", lines["RENAME-MISSING"]);
        Assert.Equal("('second', [])", lines["LIST"]);
        Assert.Equal("'require \"fileinto\";\\nfileinto \"Renamed\";'", lines["GET"]); // sievelib joins the lines with LF
        Assert.StartsWith("False", lines["CHECK-BAD"], StringComparison.Ordinal);
        Assert.Contains("require", lines["CHECK-BAD"], StringComparison.Ordinal);
        Assert.Equal("False", lines["DELETE-ACTIVE"]); // RFC 5804 §2.10: the active script cannot be deleted
        Assert.Equal("None", lines["LOGOUT"]);

        var root = _server.MaildirRoot("user1");
        Assert.Equal(Path.Combine("sieve", "second.sieve"), new FileInfo(Path.Combine(root, ".dovecot.sieve")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(root, "sieve", "first.sieve")));
        Assert.Equal("require \"fileinto\";\r\nfileinto \"Renamed\";\r\n", await File.ReadAllTextAsync(Path.Combine(root, "sieve", "second.sieve")));
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
