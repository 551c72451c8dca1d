using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailServerless.ConformanceTests.Relay;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Sieve;

/// <summary>The admin API's simple filter set: written as the active Sieve script, read back, and obeyed at delivery.</summary>
public sealed class FilterApiTests
{
    [Fact]
    public async Task A_filter_set_put_through_the_api_becomes_the_active_script_and_files_mail()
    {
        await using var server = await MailServerInstance.StartAsync();
        using var api = RelayScenario.AdminApi(server);
        var put = await api.PutAsJsonAsync("api/mailboxes/user2@example.jp/filters", new
        {
            rules = new object[]
            {
                new { header = "subject", contains = "newsletter", folder = "News" },
                new { header = "from", contains = "spammer.example", discard = true },
            },
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        var view = await api.GetFromJsonAsync<JsonElement>("api/mailboxes/user2@example.jp/filters");
        Assert.Equal("managed", view.GetProperty("activeScript").GetString());
        Assert.Contains("fileinto :create \"News\"", view.GetProperty("activeText").GetString(), StringComparison.Ordinal);

        foreach (var (from, subject) in new[] { ("news@remote.example", "weekly newsletter"), ("x@spammer.example", "win"), ("friend@remote.example", "hi") })
        {
            var swaks = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", from, "--to", "user2@example.jp", "--header", $"Subject: {subject}"]);
            Assert.True(swaks.ExitCode == 0, swaks.Output);
        }

        await server.WaitForMessageAsync("user2", "Subject: hi");
        var news = Path.Combine(server.MaildirRoot("user2"), ".News", "new");
        for (var i = 0; i < 100 && (!Directory.Exists(news) || Directory.GetFiles(news).Length == 0); i++)
        {
            await Task.Delay(100);
        }

        Assert.Contains("weekly newsletter", await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(news))), StringComparison.Ordinal);
        Assert.DoesNotContain(server.Inbox("user2"), m => m.Contains("Subject: win", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_cli_sets_and_shows_the_same_filter_set()
    {
        await using var server = await MailServerInstance.StartAsync();
        var set = await ProcessRunner.RunAsync("dotnet",
            [EdgeServerProcess.ServerDll, "admin", "filters", "set", "user4@example.jp", "--filter-set", "-", $"--Mail:DataDirectory={server.DataDirectory}"],
            input: "{\"forwardTo\": \"me@elsewhere.example\", \"keepCopy\": true, \"vacation\": {\"subject\": \"Away\", \"body\": \"Back soon.\", \"days\": 3}}");
        Assert.True(set.ExitCode == 0, set.Output + set.Error);
        var show = await ProcessRunner.RunAsync("dotnet",
            [EdgeServerProcess.ServerDll, "admin", "filters", "show", "user4@example.jp", $"--Mail:DataDirectory={server.DataDirectory}"]);
        Assert.True(show.ExitCode == 0, show.Output + show.Error);
        Assert.Contains("active: managed", show.Output, StringComparison.Ordinal);
        Assert.Contains("redirect :copy \"me@elsewhere.example\";", show.Output, StringComparison.Ordinal);
        Assert.Contains("vacation :days 3 :subject \"Away\" \"Back soon.\";", show.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_filter_set_is_refused_and_nothing_is_written()
    {
        await using var server = await MailServerInstance.StartAsync();
        using var api = RelayScenario.AdminApi(server);
        var put = await api.PutAsJsonAsync("api/mailboxes/user3@example.jp/filters", new { forwardTo = "not an address" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
        var bad = await api.PutAsJsonAsync("api/mailboxes/user3@example.jp/filters", new { rules = new[] { new { header = "subject", contains = "x", folder = "../etc" } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.False(File.Exists(Path.Combine(server.MaildirRoot("user3"), ".dovecot.sieve")));
    }
}
