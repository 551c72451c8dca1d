using System.Text.Json;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Api;

/// <summary>The <c>admin</c> command of the same build, on the directory of a running server, as a script would use it.</summary>
public sealed class AdminCommandTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessRunner.Result> AdminAsync(string? input, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "admin", .. arguments, $"--Mail:DataDirectory={_server.DataDirectory}"], input);

    [Fact]
    public async Task A_domain_and_mailbox_made_on_the_command_line_receive_mail_and_log_in()
    {
        var domain = await AdminAsync(null, "domain", "add", "cli.example", "--description", "Made by a script", "--mailboxes", "3");
        var mailbox = await AdminAsync("script password\n", "mailbox", "add", "person@cli.example", "--name", "Person", "--quota", "1024000", "--json");
        var alias = await AdminAsync(null, "alias", "add", "team@cli.example", "person@cli.example", "user1@example.jp");

        Assert.True(domain.ExitCode == 0, domain.Output + domain.Error);
        Assert.StartsWith("cli.example\t0/3 mailboxes", domain.Output, StringComparison.Ordinal);
        Assert.True(mailbox.ExitCode == 0, mailbox.Output + mailbox.Error);
        Assert.Equal("cli.example/person/", JsonDocument.Parse(mailbox.Output).RootElement.GetProperty("maildir").GetString());
        Assert.True(alias.ExitCode == 0, alias.Output + alias.Error);
        var root = Path.Combine(_server.DataDirectory, "virtual", "cli.example", "person");
        Assert.Single(Directory.GetFiles(Path.Combine(root, "new")), f => File.ReadAllText(f).Contains("Subject: Welcome", StringComparison.Ordinal));

        var sent = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_server.Smtp}", "--from", "a@remote.example",
            "--to", "team@cli.example", "--header", "Subject: to the team"]);
        Assert.True(sent.ExitCode == 0, sent.Output);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.GetFiles(Path.Combine(root, "new")).Length < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(2, Directory.GetFiles(Path.Combine(root, "new")).Length);
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Imaps, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync("person@cli.example", "script password");
        await client.Inbox!.OpenAsync(MailKit.FolderAccess.ReadOnly);
        Assert.Equal(2, client.Inbox.Count);
        await client.DisconnectAsync(true);

        var log = await AdminAsync(null, "log", "--domain", "cli.example");
        Assert.Contains("admin@example.jp (cli)\tcli.example\tcreate_mailbox\tperson@cli.example", log.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_and_wrong_usage_exit_with_a_reason()
    {
        var taken = await AdminAsync("long enough\n", "mailbox", "add", "user1@example.jp");
        var invalid = await AdminAsync(null, "domain", "add", "not a domain");
        var noPassword = await AdminAsync(string.Empty, "mailbox", "add", "new@example.jp");
        var usage = await AdminAsync(null, "mailbox");
        var unknown = await AdminAsync(null, "frobnicate", "everything");
        var overflow = await AdminAsync(null, "log", "--limit", "99999999999");
        var named = await AdminAsync("long enough\n", "mailbox", "add", "named@example.jp", "--name=Taro Yamada", "--quota=1000");

        Assert.Equal(1, taken.ExitCode);
        Assert.StartsWith("error: user1@example.jp exists already", taken.Error, StringComparison.Ordinal);
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("is not a domain name", invalid.Error, StringComparison.Ordinal);
        Assert.Equal(1, noPassword.ExitCode);
        Assert.Equal(64, usage.ExitCode);
        Assert.StartsWith("error: Required command was not provided ('mailserverless admin mailbox'", usage.Error, StringComparison.Ordinal);
        Assert.Equal(64, unknown.ExitCode);
        Assert.StartsWith("error: unknown command 'frobnicate' for 'mailserverless admin'", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(64, overflow.ExitCode);
        Assert.True(named.ExitCode == 0, named.Output + named.Error);
        Assert.Contains("named@example.jp\tTaro Yamada\tquota 1000", named.Output, StringComparison.Ordinal);
    }
}
