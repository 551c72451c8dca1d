using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Schema;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Accounts;

/// <summary>Schema creation and rows as other programs write them, on each backend, each test on a fresh database.</summary>
public abstract class DirectoryDataTests(Backend backend) : IAsyncLifetime
{
    private TestDirectory _test = null!;

    public async Task InitializeAsync() => _test = await TestDirectory.CreateAsync(backend);

    public async Task DisposeAsync() => await _test.DisposeAsync();

    private Task InsertMailboxRowAsync(string username, string password, string maildir, string name = "x") =>
        _test.ExecuteAsync(
            "INSERT INTO mailbox (username, password, name, maildir, quota, local_part, domain, created, modified, active) " +
            "VALUES (@username, @password, @name, @maildir, 0, @local, @domain, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)",
            new { username, password, name, maildir, local = username.Split('@')[0], domain = username.Split('@')[1] });

    [Fact]
    public async Task Empty_database_gets_every_table_and_postfixadmins_version_row()
    {
        await using var fresh = await TestDirectory.CreateEmptyAsync(backend);

        var created = await fresh.Installer.EnsureSchemaAsync();

        Assert.Equal(DirectorySchema.Tables.Select(t => t.Name).Order(), created.Order());
        Assert.Equal("1847", await fresh.ScalarAsync<string>("SELECT value FROM config WHERE name = 'version'"));
        Assert.Equal(
            ExtensionSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await fresh.ScalarAsync<string>("SELECT value FROM msl_meta WHERE name = 'schema_version'"));
    }

    [Fact]
    public async Task Running_the_installer_again_creates_nothing_and_keeps_one_version_row()
    {
        var again = await _test.Installer.EnsureSchemaAsync();
        await Task.WhenAll(_test.Installer.EnsureSchemaAsync(), _test.Installer.EnsureSchemaAsync());

        Assert.Empty(again);
        Assert.Equal(1L, await _test.ScalarAsync<long>("SELECT COUNT(*) FROM config"));
    }

    [Fact]
    public async Task Table_missing_a_column_we_use_stops_start_up_naming_it()
    {
        await using var old = await TestDirectory.CreateEmptyAsync(backend);
        await old.ExecuteAsync("CREATE TABLE mailbox (username varchar(255) NOT NULL PRIMARY KEY, password varchar(255) NOT NULL)");

        var error = await Assert.ThrowsAsync<DirectoryConfigurationException>(() => old.Installer.EnsureSchemaAsync());

        Assert.Contains("`mailbox` lacks column(s) name, maildir, quota", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mail:Directory:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Our_tables_from_an_older_version_are_brought_forward_step_by_step_and_postfixadmins_are_left_alone()
    {
        // A directory of version 1: msl_dkim as it first shipped, without a rotation's pending key, and no mailbox settings.
        await using var old = await TestDirectory.CreateEmptyAsync(backend);
        await old.Installer.EnsureSchemaAsync();
        await old.ExecuteAsync("DROP TABLE msl_dkim");
        await old.ExecuteAsync("DROP TABLE msl_mailbox_setting");
        await old.ExecuteAsync(
            "CREATE TABLE msl_dkim (domain_name varchar(255) NOT NULL PRIMARY KEY, description varchar(255) NOT NULL DEFAULT '', " +
            "selector varchar(63) NOT NULL, private_key text NOT NULL, public_key text NOT NULL, " +
            "created datetime NOT NULL DEFAULT '2000-01-01 00:00:00', modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00')");
        await old.ExecuteAsync("INSERT INTO msl_dkim (domain_name, selector, private_key, public_key) VALUES ('example.jp', 'old', 'k', 'p')");
        await old.ExecuteAsync("UPDATE msl_meta SET value = '1' WHERE name = 'schema_version'");
        var mailboxColumns = await old.ScalarAsync<long>(CountColumns("mailbox"));

        await Task.WhenAll(old.Installer.EnsureSchemaAsync(), old.Installer.EnsureSchemaAsync());

        Assert.Equal("4", await old.ScalarAsync<string>("SELECT value FROM msl_meta WHERE name = 'schema_version'"));
        Assert.Equal("", await old.ScalarAsync<string>("SELECT pending_selector FROM msl_dkim WHERE domain_name = 'example.jp'"));
        Assert.Equal("old", await old.ScalarAsync<string>("SELECT selector FROM msl_dkim WHERE domain_name = 'example.jp'"));
        Assert.Equal(0L, await old.ScalarAsync<long>("SELECT COUNT(*) FROM msl_mailbox_setting"));
        Assert.Equal(mailboxColumns, await old.ScalarAsync<long>(CountColumns("mailbox")));
    }

    private string CountColumns(string table) => backend == Backend.Sqlite
        ? $"SELECT COUNT(*) FROM pragma_table_info('{table}')"
        : $"SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}'";

    [Fact]
    public async Task Newer_extension_schema_is_refused()
    {
        await _test.ExecuteAsync("UPDATE msl_meta SET value = '99' WHERE name = 'schema_version'");

        var error = await Assert.ThrowsAsync<DirectoryConfigurationException>(() => _test.Installer.EnsureSchemaAsync());

        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bare_md5_crypt_hash_as_postfixadmin_stores_it_authenticates()
    {
        await _test.Admin.CreateDomainAsync(new DomainSettings("example.jp"));
        // openssl passwd -1 -salt saltsalt secret
        await InsertMailboxRowAsync("pfa@example.jp", "$1$saltsalt$9xy1btjgzLYfb7hivXtC//", "example.jp/pfa/");

        Assert.True((await _test.Directory.AuthenticateAsync("pfa@example.jp", "secret")).Succeeded);
        Assert.False((await _test.Directory.AuthenticateAsync("pfa@example.jp", "Secret")).Succeeded);
    }

    [Theory]
    [InlineData("{NOPE}whatever", "unknown password scheme 'NOPE'")]
    [InlineData("$1$", "password mismatch")]
    [InlineData("", "no password is stored")]
    public async Task Unusable_stored_hash_fails_the_login_without_an_exception(string stored, string reason)
    {
        await _test.Admin.CreateDomainAsync(new DomainSettings("example.jp"));
        await InsertMailboxRowAsync("bad@example.jp", stored, "example.jp/bad/");

        var result = await _test.Directory.AuthenticateAsync("bad@example.jp", "secret");

        Assert.False(result.Succeeded);
        Assert.Equal(reason, result.FailureReason);
    }

    [Theory]
    [InlineData("/var/spool/virtual/example.jp/evil/")]
    [InlineData("example.jp/../../../etc/")]
    public async Task Mailbox_whose_maildir_escapes_the_base_is_refused(string maildir)
    {
        await _test.Admin.CreateDomainAsync(new DomainSettings("example.jp"));
        await InsertMailboxRowAsync("evil@example.jp", "{PLAIN}secret", maildir);
        await _test.Admin.CreateAliasAsync("evil@example.jp", ["evil@example.jp"]);

        var recipient = Assert.Single((await new RecipientResolver(_test.Directory, "autoreply.example.jp")
            .ResolveAsync("evil@example.jp")).Recipients);
        var login = await _test.Directory.AuthenticateAsync("evil@example.jp", "secret");

        Assert.Equal(RecipientKind.Misconfigured, recipient.Kind);
        Assert.False(login.Succeeded);
        Assert.Contains(maildir, login.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Japanese_names_descriptions_and_vacation_text_round_trip()
    {
        await _test.Admin.CreateDomainAsync(new DomainSettings("example.jp") { Description = "株式会社テスト" });
        await _test.Admin.CreateMailboxAsync("taro@example.jp", "pw", "山田 太郎 🎌", 0);
        await _test.ExecuteAsync(
            "INSERT INTO vacation (email, subject, body, cache, domain, created) VALUES (@e, @s, @b, '', 'example.jp', '2024-01-01 00:00:00')",
            new { e = "taro@example.jp", s = "不在のお知らせ 🌴", b = "只今休暇中です。\n戻り次第ご返信します。" });

        Assert.Equal("株式会社テスト", await _test.ScalarAsync<string>("SELECT description FROM domain WHERE domain = 'example.jp'"));
        Assert.Equal("山田 太郎 🎌", (await _test.Directory.FindMailboxAsync("taro@example.jp"))!.Name);
        Assert.Equal("不在のお知らせ 🌴", await _test.ScalarAsync<string>("SELECT subject FROM vacation WHERE email = 'taro@example.jp'"));
        Assert.Equal("只今休暇中です。\n戻り次第ご返信します。", await _test.ScalarAsync<string>("SELECT body FROM vacation"));
    }

    [Fact]
    public async Task New_mailbox_is_written_as_postfixadmin_writes_it()
    {
        await _test.Admin.CreateDomainAsync(new DomainSettings("Example.JP"));

        await _test.Admin.CreateMailboxAsync("New.User@Example.JP", "pw", "New", 5 * DirectoryAdministration.QuotaMultiplier);

        Assert.Equal("example.jp/new.user/", await _test.ScalarAsync<string>("SELECT maildir FROM mailbox"));
        Assert.Equal("new.user", await _test.ScalarAsync<string>("SELECT local_part FROM mailbox"));
        Assert.Equal(5_120_000L, await _test.ScalarAsync<long>("SELECT quota FROM mailbox"));
        Assert.Equal("new.user@example.jp", await _test.ScalarAsync<string>("SELECT goto FROM alias WHERE address = 'new.user@example.jp'"));
        Assert.StartsWith("{BLF-CRYPT}$2y$10$", await _test.ScalarAsync<string>("SELECT password FROM mailbox"), StringComparison.Ordinal);
        Assert.Equal("virtual", await _test.ScalarAsync<string>("SELECT transport FROM domain"));
    }

    [Fact]
    public async Task Superadmin_is_written_with_a_domain_admins_row_for_all_and_reset_keeps_one_row()
    {
        Assert.False(await _test.Admin.AnySuperadminAsync());

        await _test.Admin.CreateOrResetSuperadminAsync("Boss@Example.JP", "first");
        await _test.Admin.CreateOrResetSuperadminAsync("boss@example.jp", "second");

        Assert.True(await _test.Admin.AnySuperadminAsync());
        Assert.Equal(1L, await _test.ScalarAsync<long>("SELECT COUNT(*) FROM admin"));
        Assert.Equal("ALL", await _test.ScalarAsync<string>("SELECT domain FROM domain_admins WHERE username = 'boss@example.jp'"));
        var stored = await _test.ScalarAsync<string>("SELECT password FROM admin");
        Assert.True(_test.Passwords.Verify("second", stored).Succeeded);
        Assert.False(_test.Passwords.Verify("first", stored).Succeeded);
    }
}

public sealed class SqliteDirectoryDataTests() : DirectoryDataTests(Backend.Sqlite);

public sealed class MariaDbDirectoryDataTests() : DirectoryDataTests(Backend.MariaDb);
