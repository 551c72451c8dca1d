using MailServerless.Core.Accounts.Schema;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.UnitTests.Accounts;

public class SchemaDialectTests
{
    [Fact]
    public void MySql_ddl_for_alias_matches_postfixadmin()
    {
        var ddl = Assert.Single(MySqlDialect.Instance.CreateTable(PostfixAdminSchema.Alias));

        Assert.Equal(
            """
            CREATE TABLE IF NOT EXISTS `alias` (
              `address` varchar(255) NOT NULL,
              `goto` text NOT NULL,
              `domain` varchar(255) NOT NULL,
              `created` datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
              `modified` datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
              `active` tinyint(1) NOT NULL DEFAULT 1,
              PRIMARY KEY (`address`),
              KEY `domain` (`domain`)
            ) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_general_ci COMMENT='Postfix Admin - Virtual Aliases'
            """,
            ddl);
    }

    [Fact]
    public void Sqlite_ddl_makes_auto_increment_keys_and_case_insensitive_text()
    {
        var statements = SqliteDialect.Instance.CreateTable(PostfixAdminSchema.Config);

        Assert.Contains("`id` INTEGER PRIMARY KEY AUTOINCREMENT", statements[0], StringComparison.Ordinal);
        Assert.Contains("`name` TEXT COLLATE NOCASE NOT NULL DEFAULT ''", statements[0], StringComparison.Ordinal);
        Assert.DoesNotContain("PRIMARY KEY (`id`)", statements[0], StringComparison.Ordinal);
        Assert.Contains(statements, s => s.Contains("CREATE UNIQUE INDEX IF NOT EXISTS `ix_config_name`", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_postfixadmin_table_is_defined_and_ours_carry_the_prefix()
    {
        Assert.Equal(
            ["admin", "alias", "alias_domain", "config", "domain", "domain_admins", "fetchmail", "log", "mailbox", "quota",
             "quota2", "vacation", "vacation_notification"],
            PostfixAdminSchema.Tables.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(ExtensionSchema.Tables, t => Assert.StartsWith(ExtensionSchema.Prefix, t.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Required_columns_exist_in_their_definitions()
    {
        foreach (var table in DirectorySchema.Tables)
        {
            foreach (var name in table.RequiredColumns)
            {
                Assert.Equal(name, table.Column(name).Name);
            }
        }
    }
}
