using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Schema;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace MailServerless.IntegrationTests.Accounts;

/// <summary>
/// Against real MariaDB: our schema is PostfixAdmin's to the column, a database PostfixAdmin
/// made is used unchanged, and rows we write answer the seed's own Postfix and Dovecot queries.
/// </summary>
public sealed class PostfixAdminCompatibilityTests : IAsyncLifetime
{
    private string _ours = string.Empty;
    private string _theirs = string.Empty;

    public async Task InitializeAsync()
    {
        _ours = await MariaDb.CreateDatabaseAsync("ours");
        _theirs = await MariaDb.CreateDatabaseAsync("pfa");
        await MariaDb.RunScriptAsync(_theirs, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "postfixadmin-3.3.13.sql")));
    }

    public async Task DisposeAsync()
    {
        await MariaDb.DropDatabaseAsync(_ours);
        await MariaDb.DropDatabaseAsync(_theirs);
    }

    private static SchemaInstaller Installer(string connectionString) =>
        new(DirectoryDatabase.MySql(connectionString), NullLogger<SchemaInstaller>.Instance);

    private static async Task<List<string>> DescribeAsync(string connectionString, string table)
    {
        await using var connection = new MySqlConnection(connectionString);
        var columns = await connection.QueryAsync<string>(
            "SELECT CONCAT_WS('|', ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '<none>'), " +
            "IFNULL(CHARACTER_SET_NAME, '-'), IFNULL(COLLATION_NAME, '-'), EXTRA) FROM information_schema.COLUMNS " +
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table ORDER BY ORDINAL_POSITION", new { table });
        var tableInfo = await connection.QueryAsync<string>(
            "SELECT CONCAT_WS('|', ENGINE, TABLE_COLLATION, TABLE_COMMENT) FROM information_schema.TABLES " +
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table", new { table });
        var indexes = await connection.QueryAsync<string>(
            "SELECT CONCAT_WS('|', INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE) FROM information_schema.STATISTICS " +
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table ORDER BY INDEX_NAME, SEQ_IN_INDEX", new { table });
        var foreignKeys = await connection.QueryAsync<string>(
            "SELECT CONCAT_WS('|', CONSTRAINT_NAME, REFERENCED_TABLE_NAME, DELETE_RULE) FROM information_schema.REFERENTIAL_CONSTRAINTS " +
            "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = @table", new { table });
        return [.. tableInfo, .. columns, .. indexes, .. foreignKeys];
    }

    private static async Task<List<string>> ShowCreateAllAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        var result = new List<string>();
        foreach (var table in PostfixAdminSchema.Tables)
        {
            var row = await connection.QuerySingleAsync($"SHOW CREATE TABLE `{table.Name}`");
            result.Add((string)((IDictionary<string, object>)row)["Create Table"]);
        }

        return result;
    }

    [Fact]
    public async Task Every_postfixadmin_table_we_create_matches_postfixadmins_own_column_for_column()
    {
        await Installer(_ours).EnsureSchemaAsync();

        foreach (var table in PostfixAdminSchema.Tables)
        {
            var expected = await DescribeAsync(_theirs, table.Name);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, await DescribeAsync(_ours, table.Name));
        }
    }

    [Fact]
    public async Task On_a_postfixadmin_database_only_our_prefixed_tables_are_created_and_theirs_are_untouched()
    {
        var before = await ShowCreateAllAsync(_theirs);

        var created = await Installer(_theirs).EnsureSchemaAsync();

        Assert.Equal(ExtensionSchema.Tables.Select(t => t.Name), created);
        Assert.Equal(before, await ShowCreateAllAsync(_theirs));
        await using var connection = new MySqlConnection(_theirs);
        Assert.Equal(["version=1847"], await connection.QueryAsync<string>("SELECT CONCAT(name, '=', value) FROM config"));
    }

    [Fact]
    public async Task Rows_postfixadmin_wrote_are_read_unchanged()
    {
        await Installer(_theirs).EnsureSchemaAsync();
        await using (var connection = new MySqlConnection(_theirs))
        {
            // What PostfixAdmin 3.3 inserts for a domain, a mailbox (md5crypt: bare $1$), its self-alias and an alias domain.
            await connection.ExecuteAsync(
                "INSERT INTO domain (domain, description, aliases, mailboxes, maxquota, quota, transport, backupmx, created, modified, active) " +
                "VALUES ('example.jp', '日本のドメイン', 10, 10, 10, 2048, 'virtual', 0, NOW(), NOW(), 1), " +
                "('example.com', '', 0, 0, 0, 0, 'virtual', 0, NOW(), NOW(), 1)");
            await connection.ExecuteAsync(
                "INSERT INTO mailbox (username, password, name, maildir, quota, local_part, domain, created, modified, active) " +
                "VALUES ('user1@example.jp', '$1$saltsalt$9xy1btjgzLYfb7hivXtC//', '鈴木 花子', 'example.jp/user1/', 10240000, 'user1', 'example.jp', NOW(), NOW(), 1)");
            await connection.ExecuteAsync(
                "INSERT INTO alias (address, goto, domain, created, modified, active) VALUES " +
                "('user1@example.jp', 'user1@example.jp', 'example.jp', NOW(), NOW(), 1), " +
                "('postmaster@example.jp', 'user1@example.jp', 'example.jp', NOW(), NOW(), 1)");
            await connection.ExecuteAsync(
                "INSERT INTO alias_domain (alias_domain, target_domain, created, modified, active) VALUES ('example.com', 'example.jp', NOW(), NOW(), 1)");
        }

        var database = DirectoryDatabase.MySql(_theirs);
        var passwords = new Core.Passwords.PasswordService("MD5-CRYPT", "BLF-CRYPT", NullLogger<Core.Passwords.PasswordService>.Instance);
        var directory = new SqlAccountDirectory(database, passwords, NullLogger<SqlAccountDirectory>.Instance);
        var login = await directory.AuthenticateAsync("user1@example.jp", "secret");
        var viaAliasDomain = await new RecipientResolver(directory, "autoreply.example.jp").ResolveAsync("postmaster@example.com");

        Assert.True(login.Succeeded, login.FailureReason);
        Assert.Equal("鈴木 花子", login.Mailbox!.Name);
        Assert.Equal(10_240_000, login.Mailbox.QuotaBytes);
        var recipient = Assert.Single(viaAliasDomain.Recipients);
        Assert.Equal("example.jp/user1/", recipient.Mailbox!.Maildir);
    }

    [Fact]
    public async Task Rows_we_write_answer_the_seeds_postfix_and_dovecot_queries()
    {
        var database = DirectoryDatabase.MySql(_ours);
        await Installer(_ours).EnsureSchemaAsync();
        var passwords = new Core.Passwords.PasswordService("MD5-CRYPT", "BLF-CRYPT", NullLogger<Core.Passwords.PasswordService>.Instance);
        var admin = new DirectoryAdministration(database, passwords, TimeProvider.System);
        await admin.CreateDomainAsync(new DomainSettings("example.jp"));
        await admin.CreateDomainAsync(new DomainSettings("example.com"));
        await admin.CreateMailboxAsync("user1@example.jp", "secret", "User One", 1024000);
        await admin.CreateAliasAsync("@example.jp", ["user1@example.jp"]);
        await admin.CreateAliasDomainAsync("example.com", "example.jp");

        await using var connection = new MySqlConnection(_ours);
        // The seed's /etc/postfix/sql/*.cf queries with Postfix's %s/%u/%d filled in.
        Assert.Equal("example.jp", await connection.ExecuteScalarAsync<string>(
            "SELECT domain FROM domain WHERE domain='example.jp' AND active = '1'"));
        Assert.Equal("user1@example.jp", await connection.ExecuteScalarAsync<string>(
            "SELECT goto FROM alias WHERE address='user1@example.jp' AND active = '1'"));
        Assert.Equal("example.jp/user1/", await connection.ExecuteScalarAsync<string>(
            "SELECT maildir FROM mailbox WHERE username='user1@example.jp' AND active = '1'"));
        Assert.Equal("user1@example.jp", await connection.ExecuteScalarAsync<string>(
            "SELECT goto FROM alias,alias_domain WHERE alias_domain.alias_domain = 'example.com' and alias.address = " +
            "CONCAT('user1', '@', alias_domain.target_domain) AND alias.active = 1 AND alias_domain.active='1'"));
        Assert.Equal("user1@example.jp", await connection.ExecuteScalarAsync<string>(
            "SELECT goto FROM alias,alias_domain WHERE alias_domain.alias_domain = 'example.com' and alias.address = " +
            "CONCAT('@', alias_domain.target_domain) AND alias.active = 1 AND alias_domain.active='1'"));
        Assert.Equal("example.jp/user1/", await connection.ExecuteScalarAsync<string>(
            "SELECT maildir FROM mailbox,alias_domain WHERE alias_domain.alias_domain = 'example.com' and mailbox.username = " +
            "CONCAT('user1', '@', alias_domain.target_domain) AND mailbox.active = 1 AND alias_domain.active='1'"));
        // The seed's dovecot-sql.conf.ext password_query and user_query.
        var stored = await connection.ExecuteScalarAsync<string>(
            "SELECT password FROM mailbox WHERE username = 'user1@example.jp' AND active='1'");
        Assert.True(passwords.Verify("secret", stored).Succeeded);
        Assert.Equal("/var/spool/virtual/example.jp/user1/|*:bytes=1024000", await connection.ExecuteScalarAsync<string>(
            "SELECT CONCAT(CONCAT('/var/spool/virtual/', maildir), '|', CONCAT('*:bytes=', quota)) FROM mailbox " +
            "WHERE username = 'user1@example.jp' AND active='1'"));
    }

    [Fact]
    public async Task Unreachable_mysql_gives_one_error_naming_the_setting()
    {
        var unreachable = new MySqlConnectionStringBuilder(MariaDb.ServerConnectionString) { Port = 1, ConnectionTimeout = 3 }.ConnectionString;

        var error = await Assert.ThrowsAsync<DirectoryConfigurationException>(() => Installer(unreachable).EnsureSchemaAsync());

        Assert.Contains("Mail:Directory:ConnectionString", error.Message, StringComparison.Ordinal);
    }
}
