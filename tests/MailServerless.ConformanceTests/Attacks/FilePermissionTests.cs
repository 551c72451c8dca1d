using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// Another local user can read none of it: the data directory, the directory database (password hashes,
/// DKIM keys), the spool and every Maildir are 0700 folders of 0600 files, as Dovecot and Postfix keep
/// theirs; and what an older install left open is named at start-up.
/// </summary>
public sealed class FilePermissionTests : IAsyncLifetime
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "msl-perm-" + Guid.NewGuid().ToString("N"));
    private readonly int[] _ports = EdgeServerProcess.FreePorts(2);
    private EdgeServerProcess? _server;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_data, recursive: true);
    }

    private async Task StartAsync()
    {
        _server = EdgeServerProcess.Start(EdgeServerProcess.Arguments(_data, _ports[0], $"--Mail:Listeners:Smtp={_ports[1]}"));
        Assert.True(await _server.WaitUntilListeningAsync(StartTimeout), _server.Output);
    }

    /// <summary>A fresh server given a domain, a mailbox and a message, as a new install would be.</summary>
    private async Task<string> StartWithMailAsync()
    {
        await StartAsync();
        var lines = await File.ReadAllLinesAsync(Path.Combine(_data, "superadmin-password"));
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_ports[0]}/") };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{lines[0]}:{lines[1]}")));
        (await api.PostAsJsonAsync("api/domains", new { domain = "a.test" })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("api/mailboxes", new { address = "dave@a.test", password = "dave's password", quota = "1M" })).EnsureSuccessStatusCode();
        var sent = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{_ports[1]}", "--from", "a@remote.example", "--to", "dave@a.test",
            "--header", "Subject: private"]);
        Assert.True(sent.ExitCode == 0, sent.Output);
        var inbox = Path.Combine(_data, "virtual", "a.test", "dave", "new");
        for (var i = 0; i < 100; i++)
        {
            if (Directory.Exists(inbox) && Directory.GetFiles(inbox).FirstOrDefault(f => File.ReadAllText(f).Contains("Subject: private", StringComparison.Ordinal)) is { } delivered)
            {
                return delivered;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the message was not delivered:\n" + _server!.Output);
    }

    /// <summary>Runs <c>cat</c> as the unprivileged user <c>nobody</c>; its exit code.</summary>
    private static async Task<int> ReadAsNobodyAsync(string path) =>
        (await ProcessRunner.RunAsync("runuser", ["-u", "nobody", "--", "cat", path])).ExitCode;

    [Fact]
    public async Task Nobody_else_can_read_mail_the_directory_or_the_spool()
    {
        var message = await StartWithMailAsync();

        var exposed = Directory.EnumerateFileSystemEntries(_data, "*", SearchOption.AllDirectories).Prepend(_data)
            .Select(path => (path, mode: File.GetUnixFileMode(path)))
            .Where(entry => (entry.mode & GroupOrOther) != 0)
            .Select(entry => $"{entry.path} {entry.mode}")
            .ToList();
        Assert.Empty(exposed);
        Assert.True(File.Exists(Path.Combine(_data, "directory.db")));
        Assert.True(Directory.Exists(Path.Combine(_data, "spool")));

        // The check itself works: nobody can read a file left open to them.
        var control = Path.Combine(Path.GetTempPath(), "msl-open-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(control, "open");
        File.SetUnixFileMode(control, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            Assert.Equal(0, await ReadAsNobodyAsync(control));
        }
        finally
        {
            File.Delete(control);
        }

        Assert.NotEqual(0, await ReadAsNobodyAsync(message));
        Assert.NotEqual(0, await ReadAsNobodyAsync(Path.Combine(_data, "directory.db")));
    }

    [Fact]
    public async Task Paths_an_older_install_left_open_are_named_at_start_up()
    {
        await StartWithMailAsync();
        await _server!.DisposeAsync();
        File.SetUnixFileMode(_data, (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(Path.Combine(_data, "directory.db"), (UnixFileMode)Convert.ToInt32("644", 8));
        File.SetUnixFileMode(Path.Combine(_data, "virtual", "a.test", "dave"), (UnixFileMode)Convert.ToInt32("755", 8));

        await StartAsync();

        Assert.Contains($"{_data} is open to other users (mode 0755)", _server.Output, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(_data, "directory.db")} is open to other users (mode 0644)", _server.Output, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(_data, "virtual", "a.test", "dave")} is open to other users (mode 0755)", _server.Output, StringComparison.Ordinal);
    }
}
