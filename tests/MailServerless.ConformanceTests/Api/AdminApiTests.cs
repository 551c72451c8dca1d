using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Api;

/// <summary>The admin API over HTTP against the running server, on SQLite.</summary>
public sealed class AdminApiOnSqliteTests : AdminApiTests
{
    protected override Task<MailServerInstance> StartServerAsync() => MailServerInstance.StartAsync(Settings);
}

/// <summary>The same tests with the directory on the real MariaDB.</summary>
public sealed class AdminApiOnMariaDbTests : AdminApiTests
{
    protected override Task<MailServerInstance> StartServerAsync() => MailServerInstance.StartOnMariaDbAsync(Settings);
}

/// <summary>
/// Every resource, role and refusal of the admin API, through HTTP as a script would use it. The seed has
/// the superadmin admin@example.jp, the domains example.jp (user1..user5, full, info, sales), example.com
/// (an alias domain of example.jp) and backup.example (backup MX).
/// </summary>
public abstract class AdminApiTests : IAsyncLifetime
{
    protected static readonly string[] Settings =
        ["--Mail:Auth:MaxFailuresPerAddress=3", "--Mail:Auth:FailureDelay=00:00:00.050", "--Mail:Directory:CacheLifetime=00:00:01"];

    private MailServerInstance _server = null!;

    protected abstract Task<MailServerInstance> StartServerAsync();

    public async Task InitializeAsync() => _server = await StartServerAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Api(string user = "admin@example.jp", string password = MailServerInstance.Password)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task ProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string? field = null)
    {
        var problem = await JsonAsync(response, expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        }
    }

    [Fact]
    public async Task Domains_are_created_with_idn_names_and_default_aliases_refused_twice_and_deleted_only_with_cascade()
    {
        using var api = Api();
        var created = await JsonAsync(await api.PostAsJsonAsync("api/domains",
                new { domain = "Bücher.Example", description = "x'); DROP TABLE domain; --", mailboxes = 5, maxQuota = "1G", quota = 4096 }),
            HttpStatusCode.Created);
        Assert.Equal("xn--bcher-kva.example", created.GetProperty("domain").GetString());
        Assert.Equal("x'); DROP TABLE domain; --", created.GetProperty("description").GetString());
        Assert.Equal(5, created.GetProperty("mailboxes").GetInt32());
        Assert.Equal(1024, created.GetProperty("maxQuota").GetInt64()); // PostfixAdmin's MB
        Assert.Equal(4096, created.GetProperty("quota").GetInt64());
        Assert.Equal("virtual", created.GetProperty("transport").GetString());
        // No postmaster was named: the default aliases wait for the domain's first mailbox (nothing points at a non-mailbox).
        Assert.Equal(0, (await JsonAsync(await api.GetAsync("api/aliases?domain=xn--bcher-kva.example"), HttpStatusCode.OK)).GetProperty("total").GetInt64());

        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "bücher.example" }), HttpStatusCode.Conflict);
        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "example.com" }), HttpStatusCode.Conflict);
        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "bad_domain..example" }), HttpStatusCode.UnprocessableEntity, "domain");
        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "nodot" }), HttpStatusCode.UnprocessableEntity, "domain");
        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "ok.example", aliases = -5 }), HttpStatusCode.UnprocessableEntity, "aliases");
        var edited = await JsonAsync(await api.PatchAsJsonAsync("api/domains/xn--bcher-kva.example", new { description = "Books", maxQuota = 50 }), HttpStatusCode.OK);
        Assert.Equal("Books", edited.GetProperty("description").GetString());
        Assert.Equal(50, edited.GetProperty("maxQuota").GetInt64());

        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "reader@bücher.example", password = "long enough", quota = "51M" }),
            HttpStatusCode.UnprocessableEntity, "quota");
        await JsonAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "reader@bücher.example", password = "long enough", quota = "1M" }), HttpStatusCode.Created);
        foreach (var local in new[] { "abuse", "hostmaster", "postmaster", "webmaster" })
        {
            var alias = await JsonAsync(await api.GetAsync($"api/aliases/{local}@xn--bcher-kva.example"), HttpStatusCode.OK);
            Assert.Equal(["reader@xn--bcher-kva.example"], alias.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
        }

        // Its welcome mail is delivered first (a delivery after the delete would make the Maildir again).
        var inbox = Path.Combine(_server.DataDirectory, "virtual", "xn--bcher-kva.example", "reader", "new");
        for (var i = 0; i < 200 && !(Directory.Exists(inbox) && Directory.GetFiles(inbox).Length > 0); i++)
        {
            await Task.Delay(50);
        }

        await ProblemAsync(await api.DeleteAsync("api/domains/xn--bcher-kva.example"), HttpStatusCode.Conflict);
        await JsonAsync(await api.DeleteAsync("api/domains/xn--bcher-kva.example?cascade=true&removeMaildirs=true"), HttpStatusCode.NoContent);
        await ProblemAsync(await api.GetAsync("api/domains/xn--bcher-kva.example"), HttpStatusCode.NotFound);
        await ProblemAsync(await api.GetAsync("api/mailboxes/reader@xn--bcher-kva.example"), HttpStatusCode.NotFound);
        Assert.False(Directory.Exists(Path.Combine(_server.DataDirectory, "virtual", "xn--bcher-kva.example", "reader")));
    }

    [Fact]
    public async Task A_domains_postmaster_is_a_mailbox_or_an_outside_address_never_one_that_would_bounce()
    {
        using var api = Api();
        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "own.example", postmaster = "boss@own.example" }),
            HttpStatusCode.UnprocessableEntity, "postmaster");
        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "own.example", postmaster = "nobody@example.jp" }),
            HttpStatusCode.UnprocessableEntity, "postmaster");
        var notWholeMegabytes = await api.PostAsJsonAsync("api/domains", new { domain = "own.example", maxQuota = "100000000" });
        Assert.Contains("whole number of megabytes", await notWholeMegabytes.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await ProblemAsync(notWholeMegabytes, HttpStatusCode.BadRequest);
        await ProblemAsync(await api.GetAsync("api/domains/own.example"), HttpStatusCode.NotFound);

        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "own.example", postmaster = "user1@example.jp" }), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "outside.example", postmaster = "ops@provider.example" }), HttpStatusCode.Created);
        foreach (var local in new[] { "abuse", "hostmaster", "postmaster", "webmaster" })
        {
            var own = await JsonAsync(await api.GetAsync($"api/aliases/{local}@own.example"), HttpStatusCode.OK);
            Assert.Equal(["user1@example.jp"], own.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
            var outside = await JsonAsync(await api.GetAsync($"api/aliases/{local}@outside.example"), HttpStatusCode.OK);
            Assert.Equal(["ops@provider.example"], outside.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
        }

        // The first mailbox leaves named aliases alone; a change of postmaster moves them all.
        await JsonAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "boss@own.example", password = "long enough", quota = "1M" }), HttpStatusCode.Created);
        Assert.Equal(["user1@example.jp"], (await JsonAsync(await api.GetAsync("api/aliases/abuse@own.example"), HttpStatusCode.OK))
            .GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
        await JsonAsync(await api.PatchAsJsonAsync("api/domains/own.example", new { postmaster = "boss@own.example" }), HttpStatusCode.OK);
        Assert.Equal(["boss@own.example"], (await JsonAsync(await api.GetAsync("api/aliases/abuse@own.example"), HttpStatusCode.OK))
            .GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_new_mailbox_gets_its_maildir_a_welcome_mail_and_logs_in_over_imap_with_its_password()
    {
        using var api = Api();
        // Header injection through the name: CR/LF is refused, and what is accepted cannot add a header to the welcome mail.
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes",
            new { address = "new.person@example.jp", password = "first password", name = "New\r\nBcc: victim@example.net", quota = 5120000 }),
            HttpStatusCode.UnprocessableEntity, "name");
        var mailbox = await JsonAsync(await api.PostAsJsonAsync("api/mailboxes",
            new { address = "New.Person@example.jp", password = "first password", name = "New \"Person\", Bcc: victim@example.net <x@y>", quota = 5120000 }),
            HttpStatusCode.Created);
        Assert.Equal("new.person@example.jp", mailbox.GetProperty("address").GetString());
        Assert.False(mailbox.TryGetProperty("password", out _));
        Assert.Equal("example.jp/new.person/", mailbox.GetProperty("maildir").GetString());

        var welcome = await _server.WaitForMessageAsync("new.person", "Subject: Welcome");
        Assert.DoesNotContain("\nBcc:", welcome, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_server.MaildirRoot("new.person"), ".Sent")));
        await ImapLoginAsync("new.person@example.jp", "first password");
        var usage = (await JsonAsync(await api.GetAsync("api/mailboxes/new.person@example.jp"), HttpStatusCode.OK)).GetProperty("quotaUsed");
        Assert.Equal(1, usage.GetProperty("messages").GetInt64());
        Assert.True(usage.GetProperty("bytes").GetInt64() > 100);

        await JsonAsync(await api.PutAsJsonAsync("api/mailboxes/new.person@example.jp/password", new { password = "second password" }), HttpStatusCode.NoContent);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the directory cache (Mail:Directory:CacheLifetime, 1 s here) forgets the old row
        await ImapLoginAsync("new.person@example.jp", "second password");
        await ProblemAsync(await api.PutAsJsonAsync("api/mailboxes/new.person@example.jp/password", new { password = "short" }), HttpStatusCode.UnprocessableEntity, "password");

        var changed = await JsonAsync(await api.PatchAsJsonAsync("api/mailboxes/new.person@example.jp", new { name = "New Person", quota = 2048000, active = false }), HttpStatusCode.OK);
        Assert.Equal(2048000, changed.GetProperty("quota").GetInt64());
        Assert.False(changed.GetProperty("active").GetBoolean());
        await JsonAsync(await api.DeleteAsync("api/mailboxes/new.person@example.jp?removeMaildir=true"), HttpStatusCode.NoContent);
        Assert.False(Directory.Exists(_server.MaildirRoot("new.person")));
        await ProblemAsync(await api.GetAsync("api/mailboxes/new.person@example.jp"), HttpStatusCode.NotFound);
    }

    private async Task ImapLoginAsync(string user, string password)
    {
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Imaps, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync(user, password);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Mailboxes_are_refused_beyond_the_domains_limits_and_with_bad_or_taken_addresses()
    {
        using var api = Api();
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "big@example.jp", password = "long enough", quota = 20480000 }),
            HttpStatusCode.UnprocessableEntity, "quota");
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "unlimited@example.jp", password = "long enough", quota = 0 }),
            HttpStatusCode.UnprocessableEntity, "quota");
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "../etc@example.jp", password = "long enough", quota = 1000 }),
            HttpStatusCode.UnprocessableEntity, "address");
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "a..b@example.jp", password = "long enough", quota = 1000 }),
            HttpStatusCode.UnprocessableEntity, "address");
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "x@nowhere.example", password = "long enough", quota = 1000 }),
            HttpStatusCode.UnprocessableEntity, "address");
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "x@backup.example", password = "long enough", quota = 1000 }),
            HttpStatusCode.UnprocessableEntity, "address");
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "info@example.jp", password = "long enough", quota = 1000 }),
            HttpStatusCode.Conflict);
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "user1@example.jp", password = "long enough", quota = 1000 }),
            HttpStatusCode.Conflict);
        for (var i = 0; i < 4; i++)
        {
            await JsonAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = $"more{i}@example.jp", password = "long enough", quota = 1000 }), HttpStatusCode.Created);
        }

        // example.jp allows 10 mailboxes (PostfixAdmin's default): user1..user5, full and the four above.
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "eleventh@example.jp", password = "long enough", quota = 1000 }),
            HttpStatusCode.UnprocessableEntity, "address");
        var listed = await JsonAsync(await api.GetAsync("api/mailboxes?domain=example.jp&limit=3&offset=3"), HttpStatusCode.OK);
        Assert.Equal(10, listed.GetProperty("total").GetInt64());
        Assert.Equal(3, listed.GetProperty("items").GetArrayLength());
        await ProblemAsync(await api.GetAsync("api/mailboxes?limit=0"), HttpStatusCode.UnprocessableEntity, "limit");
    }

    [Fact]
    public async Task Aliases_forward_keep_copies_catch_all_and_refuse_loops_and_non_addresses()
    {
        using var api = Api();
        var alias = await JsonAsync(await api.PostAsJsonAsync("api/aliases", new { address = "team@example.jp", @goto = new[] { "user1@example.jp", "Someone@Elsewhere.example" } }),
            HttpStatusCode.Created);
        Assert.Equal(["user1@example.jp", "someone@elsewhere.example"], alias.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
        await JsonAsync(await api.PostAsJsonAsync("api/aliases", new { address = "@example.jp", @goto = new[] { "user2@example.jp" } }), HttpStatusCode.Created);
        await ProblemAsync(await api.PostAsJsonAsync("api/aliases", new { address = "team@example.jp", @goto = new[] { "user2@example.jp" } }), HttpStatusCode.Conflict);
        await ProblemAsync(await api.PostAsJsonAsync("api/aliases", new { address = "x@example.jp", @goto = new[] { "not an address" } }), HttpStatusCode.UnprocessableEntity, "goto");
        await ProblemAsync(await api.PostAsJsonAsync("api/aliases", new { address = "x@example.jp", @goto = Array.Empty<string>() }), HttpStatusCode.UnprocessableEntity, "goto");
        await JsonAsync(await api.PostAsJsonAsync("api/aliases", new { address = "a@example.jp", @goto = new[] { "b@example.jp" } }), HttpStatusCode.Created);
        await ProblemAsync(await api.PostAsJsonAsync("api/aliases", new { address = "b@example.jp", @goto = new[] { "a@example.jp" } }), HttpStatusCode.UnprocessableEntity, "goto");

        // A mailbox's own row is its forwarding: forward and keep a copy.
        var forwarding = await JsonAsync(await api.PatchAsJsonAsync("api/aliases/user3@example.jp", new { @goto = new[] { "user3@example.jp", "copy@elsewhere.example" } }),
            HttpStatusCode.OK);
        Assert.True(forwarding.GetProperty("isMailbox").GetBoolean());
        await ProblemAsync(await api.DeleteAsync("api/aliases/user3@example.jp"), HttpStatusCode.Conflict);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the directory cache (1 s here) forgets the old row
        await _server.DeliverAsync("user3", "kept and forwarded");
        for (var i = 0; i < 100 && !_server.OutboundEnvelopes().Any(e => e.Contains("copy@elsewhere.example", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(_server.OutboundEnvelopes(), e => e.Contains("copy@elsewhere.example", StringComparison.Ordinal));

        await JsonAsync(await api.DeleteAsync("api/aliases/team@example.jp"), HttpStatusCode.NoContent);
        await ProblemAsync(await api.GetAsync("api/aliases/team@example.jp"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Alias_domains_need_two_domains_of_the_server_and_never_chain()
    {
        using var api = Api();
        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "alias.example" }), HttpStatusCode.Created);

        var created = await JsonAsync(await api.PostAsJsonAsync("api/alias-domains", new { aliasDomain = "alias.example", targetDomain = "example.jp" }), HttpStatusCode.Created);
        Assert.Equal("example.jp", created.GetProperty("targetDomain").GetString());
        await ProblemAsync(await api.PostAsJsonAsync("api/alias-domains", new { aliasDomain = "unknown.example", targetDomain = "example.jp" }),
            HttpStatusCode.UnprocessableEntity, "aliasDomain");
        await ProblemAsync(await api.PostAsJsonAsync("api/alias-domains", new { aliasDomain = "example.jp", targetDomain = "example.jp" }),
            HttpStatusCode.UnprocessableEntity, "targetDomain");
        await ProblemAsync(await api.PostAsJsonAsync("api/alias-domains", new { aliasDomain = "backup.example", targetDomain = "alias.example" }), HttpStatusCode.Conflict);
        var list = await JsonAsync(await api.GetAsync("api/alias-domains?domain=example.jp"), HttpStatusCode.OK);
        Assert.Equal(2, list.GetProperty("total").GetInt64());
        await JsonAsync(await api.DeleteAsync("api/alias-domains/alias.example"), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Domain_admins_manage_only_their_domains_and_learn_nothing_of_others()
    {
        using var api = Api();
        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "other.example" }), HttpStatusCode.Created);
        var admin = await JsonAsync(await api.PostAsJsonAsync("api/admins", new { username = "boss@other.example", password = "boss password", domains = new[] { "other.example" } }),
            HttpStatusCode.Created);
        Assert.False(admin.GetProperty("superadmin").GetBoolean());
        await ProblemAsync(await api.PostAsJsonAsync("api/admins", new { username = "boss@other.example", password = "boss password" }), HttpStatusCode.Conflict);

        using var boss = Api("boss@other.example", "boss password");
        var domains = await JsonAsync(await boss.GetAsync("api/domains"), HttpStatusCode.OK);
        Assert.Equal(["other.example"], domains.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("domain").GetString()));
        await JsonAsync(await boss.PostAsJsonAsync("api/mailboxes", new { address = "staff@other.example", password = "staff password", quota = 1024000 }), HttpStatusCode.Created);
        await JsonAsync(await boss.PatchAsJsonAsync("api/domains/other.example", new { description = "Ours" }), HttpStatusCode.OK);

        var existing = await boss.GetAsync("api/mailboxes/user1@example.jp");
        var missing = await boss.GetAsync("api/mailboxes/nobody@nowhere.example");
        await ProblemAsync(existing, HttpStatusCode.Forbidden);
        await ProblemAsync(missing, HttpStatusCode.Forbidden);
        Assert.Equal(await existing.Content.ReadAsStringAsync() is var a ? Title(a) : null, Title(await missing.Content.ReadAsStringAsync()));
        await ProblemAsync(await boss.GetAsync("api/mailboxes?domain=example.jp"), HttpStatusCode.Forbidden);
        await ProblemAsync(await boss.PatchAsJsonAsync("api/domains/other.example", new { mailboxes = 100 }), HttpStatusCode.Forbidden);
        await ProblemAsync(await boss.PostAsJsonAsync("api/domains", new { domain = "mine.example" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await boss.GetAsync("api/admins"), HttpStatusCode.Forbidden);
        await ProblemAsync(await boss.PostAsJsonAsync("api/aliases", new { address = "x@example.jp", @goto = new[] { "user1@example.jp" } }), HttpStatusCode.Forbidden);
        var log = await JsonAsync(await boss.GetAsync("api/log"), HttpStatusCode.OK);
        Assert.All(log.GetProperty("items").EnumerateArray(), e => Assert.Equal("other.example", e.GetProperty("domain").GetString()));
        Assert.Contains(log.GetProperty("items").EnumerateArray(), e => e.GetProperty("action").GetString() == "create_mailbox" &&
            e.GetProperty("username").GetString() == "boss@other.example (127.0.0.1)");

        await ProblemAsync(await api.DeleteAsync("api/admins/admin@example.jp"), HttpStatusCode.Conflict);
        await JsonAsync(await api.DeleteAsync("api/admins/boss@other.example"), HttpStatusCode.NoContent);
        await ProblemAsync(await boss.GetAsync("api/domains"), HttpStatusCode.Unauthorized);
    }

    private static string? Title(string problem) => JsonDocument.Parse(problem).RootElement.GetProperty("title").GetString();

    [Fact]
    public async Task Calls_without_valid_credentials_get_401_and_repeated_failures_are_throttled()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        var none = await anonymous.GetAsync("api/domains");
        await ProblemAsync(none, HttpStatusCode.Unauthorized);
        Assert.StartsWith("Basic realm=\"MailServerless\"", none.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        using var mailboxUser = Api("user1@example.jp");
        await ProblemAsync(await mailboxUser.GetAsync("api/domains"), HttpStatusCode.Forbidden);
        anonymous.DefaultRequestHeaders.Add("X-Forwarded-User", "admin@example.jp");
        await ProblemAsync(await anonymous.GetAsync("api/domains"), HttpStatusCode.Unauthorized);

        using var wrong = Api(password: "wrong");
        for (var i = 0; i < 3; i++)
        {
            await ProblemAsync(await wrong.GetAsync("api/domains"), HttpStatusCode.Unauthorized);
        }

        using var right = Api();
        await ProblemAsync(await right.GetAsync("api/domains"), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_paths_and_malformed_json_gets_a_problem()
    {
        using var api = Api();
        var document = await JsonAsync(await api.GetAsync("openapi/v1.json"), HttpStatusCode.OK);
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/domains/{domain}", paths);
        Assert.Contains("/api/mailboxes/{address}/password", paths);
        Assert.Contains("/api/alias-domains", paths);

        var malformed = await api.PostAsync("api/domains", new StringContent("{\"domain\": [1, 2", Encoding.UTF8, "application/json"));
        await ProblemAsync(malformed, HttpStatusCode.BadRequest);
        var wrongShape = await api.PostAsync("api/mailboxes", new StringContent("{\"quota\": \"lots\"}", Encoding.UTF8, "application/json"));
        await ProblemAsync(wrongShape, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Vacation_adds_the_autoreply_target_as_postfixadmin_does_and_replies_go_out()
    {
        using var api = Api();
        var vacation = await JsonAsync(await api.PutAsJsonAsync("api/mailboxes/user2@example.jp/vacation",
            new { active = true, subject = "Away", body = "Back on Monday.", intervalTime = 86400 }), HttpStatusCode.OK);
        Assert.True(vacation.GetProperty("active").GetBoolean());
        var alias = await JsonAsync(await api.GetAsync("api/aliases/user2@example.jp"), HttpStatusCode.OK);
        Assert.Equal(["user2@example.jp", "user2#example.jp@autoreply.example.jp"], alias.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));

        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the directory cache forgets the alias row
        await _server.DeliverAsync("user2", "while away");
        Assert.True(await _server.WaitForVacationReplyAsync("user2@example.jp"));

        await ProblemAsync(await api.PutAsJsonAsync("api/mailboxes/user2@example.jp/vacation", new { subject = "two\nlines" }), HttpStatusCode.UnprocessableEntity, "subject");
        await ProblemAsync(await api.PutAsJsonAsync("api/mailboxes/user2@example.jp/vacation", new { activeUntil = "1999-01-01T00:00:00" }), HttpStatusCode.UnprocessableEntity, "activeUntil");
        await JsonAsync(await api.DeleteAsync("api/mailboxes/user2@example.jp/vacation"), HttpStatusCode.NoContent);
        var after = await JsonAsync(await api.GetAsync("api/aliases/user2@example.jp"), HttpStatusCode.OK);
        Assert.Equal(["user2@example.jp"], after.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
        Assert.False((await JsonAsync(await api.GetAsync("api/mailboxes/user2@example.jp/vacation"), HttpStatusCode.OK)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Mailbox_owners_change_their_password_vacation_and_forwarding_and_nothing_else()
    {
        using var owner = Api("user4@example.jp");
        var own = await JsonAsync(await owner.GetAsync("api/mailboxes/user4@example.jp"), HttpStatusCode.OK);
        Assert.Equal("user4@example.jp", own.GetProperty("address").GetString());
        await JsonAsync(await owner.PutAsJsonAsync("api/mailboxes/user4@example.jp/vacation", new { active = true, subject = "Out", body = "Later." }), HttpStatusCode.OK);
        await JsonAsync(await owner.PatchAsJsonAsync("api/aliases/user4@example.jp", new { @goto = new[] { "user4@example.jp", "me@elsewhere.example" } }), HttpStatusCode.OK);

        await ProblemAsync(await owner.GetAsync("api/mailboxes/user5@example.jp"), HttpStatusCode.Forbidden);
        await ProblemAsync(await owner.PatchAsJsonAsync("api/mailboxes/user4@example.jp", new { quota = 999999999 }), HttpStatusCode.Forbidden);
        await ProblemAsync(await owner.PutAsJsonAsync("api/mailboxes/user5@example.jp/password", new { password = "taken over!" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await owner.PostAsJsonAsync("api/aliases", new { address = "mine@example.jp", @goto = new[] { "user4@example.jp" } }), HttpStatusCode.Forbidden);
        await ProblemAsync(await owner.GetAsync("api/admins"), HttpStatusCode.Forbidden);
        await ProblemAsync(await owner.GetAsync("api/mailboxes"), HttpStatusCode.Forbidden);
        await ProblemAsync(await owner.GetAsync("api/log"), HttpStatusCode.Forbidden);
        var forwarding = await JsonAsync(await owner.GetAsync("api/aliases/user4@example.jp"), HttpStatusCode.OK);
        Assert.Contains("me@elsewhere.example", forwarding.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));

        await JsonAsync(await owner.PutAsJsonAsync("api/mailboxes/user4@example.jp/password", new { password = "my new password" }), HttpStatusCode.NoContent);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await ImapLoginAsync("user4@example.jp", "my new password");
        using var renewed = Api("user4@example.jp", "my new password");
        var log = await JsonAsync(await Api().GetAsync("api/log?domain=example.jp"), HttpStatusCode.OK);
        Assert.Contains(log.GetProperty("items").EnumerateArray(), e => e.GetProperty("action").GetString() == "edit_password" &&
            e.GetProperty("username").GetString() == "user4@example.jp (127.0.0.1)");
        await JsonAsync(await renewed.GetAsync("api/mailboxes/user4@example.jp/vacation"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Api_keys_are_shown_once_act_with_their_admins_rights_and_stop_working_when_deleted()
    {
        using var api = Api();
        var own = await JsonAsync(await api.PostAsJsonAsync("api/keys", new { name = "deploy script" }), HttpStatusCode.Created);
        var key = own.GetProperty("key").GetString()!;
        Assert.StartsWith("msl_", key, StringComparison.Ordinal);
        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "keyed.example" }), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsJsonAsync("api/admins", new { username = "ops@keyed.example", password = "ops password", domains = new[] { "keyed.example" } }),
            HttpStatusCode.Created);
        var scoped = await JsonAsync(await api.PostAsJsonAsync("api/keys", new { name = "ops", username = "ops@keyed.example" }), HttpStatusCode.Created);
        await ProblemAsync(await api.PostAsJsonAsync("api/keys", new { name = "nobody", username = "nobody@example.jp" }), HttpStatusCode.UnprocessableEntity, "username");

        using var automation = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        automation.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(4, (await JsonAsync(await automation.GetAsync("api/domains"), HttpStatusCode.OK)).GetProperty("total").GetInt64());
        using var ops = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        ops.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", scoped.GetProperty("key").GetString());
        await JsonAsync(await ops.PostAsJsonAsync("api/mailboxes", new { address = "bot@keyed.example", password = "bot password", quota = 1000 }), HttpStatusCode.Created);
        await ProblemAsync(await ops.GetAsync("api/mailboxes/user1@example.jp"), HttpStatusCode.Forbidden);
        await ProblemAsync(await ops.GetAsync("api/keys"), HttpStatusCode.Forbidden);

        var listed = await JsonAsync(await api.GetAsync("api/keys"), HttpStatusCode.OK);
        Assert.Equal(2, listed.GetArrayLength());
        Assert.All(listed.EnumerateArray(), k => Assert.False(k.TryGetProperty("key", out _)));
        Assert.DoesNotContain(key[^20..], listed.ToString(), StringComparison.Ordinal);
        await JsonAsync(await api.DeleteAsync($"api/keys/{own.GetProperty("id").GetString()}"), HttpStatusCode.NoContent);
        await ProblemAsync(await automation.GetAsync("api/domains"), HttpStatusCode.Unauthorized);
        using var forged = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", scoped.GetProperty("key").GetString()![..^2] + "xx");
        await ProblemAsync(await forged.GetAsync("api/domains"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Loops_through_forwarding_mailboxes_and_alias_domains_are_refused_and_vacation_targets_are_the_vacations_own()
    {
        using var api = Api();
        await JsonAsync(await api.PostAsJsonAsync("api/aliases", new { address = "hop@example.jp", @goto = new[] { "user5@example.jp" } }), HttpStatusCode.Created);
        // user5 forwarding without a copy to hop@ would send mail round in circles.
        await ProblemAsync(await api.PatchAsJsonAsync("api/aliases/user5@example.jp", new { @goto = new[] { "hop@example.jp" } }), HttpStatusCode.UnprocessableEntity, "goto");
        await JsonAsync(await api.PatchAsJsonAsync("api/aliases/user5@example.jp", new { @goto = new[] { "user5@example.jp", "hop@example.jp" } }), HttpStatusCode.OK);
        // Through the alias domain: ly@example.jp -> lx@example.jp -> ly@example.com (= ly@example.jp).
        await JsonAsync(await api.PostAsJsonAsync("api/aliases", new { address = "ly@example.jp", @goto = new[] { "lx@example.jp" } }), HttpStatusCode.Created);
        await ProblemAsync(await api.PostAsJsonAsync("api/aliases", new { address = "lx@example.jp", @goto = new[] { "ly@example.com" } }), HttpStatusCode.UnprocessableEntity, "goto");

        await JsonAsync(await api.PutAsJsonAsync("api/mailboxes/user4@example.jp/vacation", new { active = true, subject = "Away" }), HttpStatusCode.OK);
        using var owner = Api("user4@example.jp");
        var edited = await JsonAsync(await owner.PatchAsJsonAsync("api/aliases/user4@example.jp", new { @goto = new[] { "user4@example.jp", "ext@elsewhere.example" } }), HttpStatusCode.OK);
        Assert.Contains("user4#example.jp@autoreply.example.jp", edited.GetProperty("goto").EnumerateArray().Select(e => e.GetString()));
        await ProblemAsync(await owner.PatchAsJsonAsync("api/aliases/user4@example.jp", new { @goto = new[] { "user4@example.jp", "user1#example.jp@autoreply.example.jp" } }),
            HttpStatusCode.UnprocessableEntity, "goto");
        await ProblemAsync(await owner.DeleteAsync("api/mailboxes/user4@example.jp?removeMaildir=true"), HttpStatusCode.Forbidden);
        Assert.Equal("user4@example.jp", (await JsonAsync(await api.GetAsync("api/mailboxes/user4@example.jp"), HttpStatusCode.OK)).GetProperty("address").GetString());
    }

    [Fact]
    public async Task Values_the_columns_cannot_hold_get_422_not_500()
    {
        using var api = Api();
        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "wide.example", maxQuota = 0, quota = 10 }), HttpStatusCode.Created);
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "huge@wide.example", password = "long enough", quota = 9223372036854775000 }),
            HttpStatusCode.UnprocessableEntity, "quota");
        await ProblemAsync(await api.PatchAsJsonAsync("api/domains/wide.example", new { quota = 9000000000000000000 }), HttpStatusCode.UnprocessableEntity, "quota");
        await ProblemAsync(await api.PostAsJsonAsync("api/domains", new { domain = "emoji.example", description = "shop 😀" }), HttpStatusCode.UnprocessableEntity, "description");
        await ProblemAsync(await api.PutAsJsonAsync("api/mailboxes/user1@example.jp/vacation", new { subject = "x", body = new string('あ', 30_000) }),
            HttpStatusCode.UnprocessableEntity, "body");
        await ProblemAsync(await api.PostAsJsonAsync("api/aliases", new { address = "many@example.jp", @goto = Enumerable.Range(0, 1000).Select(i => $"someone-with-a-much-longer-local-part-{i}@a-rather-long-domain-name.example").ToArray() }),
            HttpStatusCode.UnprocessableEntity, "goto");
        // Left out, the quota is the domain's largest: 10 MB by PostfixAdmin's default.
        var defaulted = await JsonAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "plain@example.jp", password = "long enough" }), HttpStatusCode.Created);
        Assert.Equal(10240000, defaulted.GetProperty("quota").GetInt64());
        await JsonAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "sleeping@example.jp", password = "long enough", active = false }), HttpStatusCode.Created);
        Assert.False(Directory.Exists(_server.MaildirRoot("sleeping")));
    }

    [Fact]
    public async Task A_new_domain_can_become_an_alias_domain_which_then_takes_no_mailboxes_and_keys_go_with_their_admin()
    {
        using var api = Api();
        await JsonAsync(await api.PostAsJsonAsync("api/domains", new { domain = "fresh.example" }), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsJsonAsync("api/alias-domains", new { aliasDomain = "fresh.example", targetDomain = "example.jp" }), HttpStatusCode.Created);
        await ProblemAsync(await api.PostAsJsonAsync("api/mailboxes", new { address = "m@fresh.example", password = "long enough", quota = 1000 }),
            HttpStatusCode.UnprocessableEntity, "address");

        await JsonAsync(await api.PostAsJsonAsync("api/admins", new { username = "temp@example.jp", password = "temp password", domains = new[] { "example.jp" } }), HttpStatusCode.Created);
        var key = (await JsonAsync(await api.PostAsJsonAsync("api/keys", new { name = "temp", username = "temp@example.jp" }), HttpStatusCode.Created)).GetProperty("key").GetString();
        await JsonAsync(await api.DeleteAsync("api/admins/temp@example.jp"), HttpStatusCode.NoContent);
        await JsonAsync(await api.PostAsJsonAsync("api/admins", new { username = "temp@example.jp", password = "temp password", superadmin = true }), HttpStatusCode.Created);
        using var old = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };
        old.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        await ProblemAsync(await old.GetAsync("api/domains"), HttpStatusCode.Unauthorized);
    }
}
