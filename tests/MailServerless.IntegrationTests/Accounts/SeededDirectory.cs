using MailServerless.Core.Accounts;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Accounts;

/// <summary>
/// One directory filled the way PostfixAdmin fills it, shared by the read-only lookup tests.
/// <list type="bullet">
/// <item>example.jp: user1 (Japanese name), user2 (forwards and keeps a copy), inactive user3, info → user1,user2,
/// a → b → user1, loop1 ⇄ loop2, m1 ⇄ m2 forwarding with copies;</item>
/// <item>example.com: alias domain of example.jp;</item>
/// <item>other.example: catch-all → user1@example.jp; mailbox "noalias" without its self-alias, mailbox "withalias";</item>
/// <item>catch.example with catch-all → user2@example.jp, and its alias domain catchalias.example;</item>
/// <item>backup.example (backup MX), inactive.example (inactive, with a mailbox);</item>
/// <item>away@example.jp on vacation, tiny@example.jp with a 1000-byte quota, abuse@example.jp a self-alias without mailbox.</item>
/// </list>
/// </summary>
public abstract class SeededDirectory(Backend backend) : IAsyncLifetime
{
    public const string Password = "秘密のpassword";

    public const long TinyQuota = 1000;

    public TestDirectory Test { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Test = await TestDirectory.CreateAsync(backend);
        var admin = Test.Admin;
        foreach (var domain in new[] { "example.jp", "example.com", "other.example", "catch.example", "catchalias.example" })
        {
            await admin.CreateDomainAsync(new DomainSettings(domain) { Description = "テスト " + domain });
        }

        await admin.CreateDomainAsync(new DomainSettings("backup.example") { BackupMx = true });
        await admin.CreateDomainAsync(new DomainSettings("inactive.example") { Active = false });

        await admin.CreateMailboxAsync("user1@example.jp", Password, "山田 太郎", 10 * DirectoryAdministration.QuotaMultiplier);
        await admin.CreateMailboxAsync("user2@example.jp", Password, "User Two", 0);
        await Test.ExecuteAsync("UPDATE alias SET goto = 'user2@example.jp,friend@remote.example' WHERE address = 'user2@example.jp'");
        await admin.CreateMailboxAsync("user3@example.jp", Password, "Inactive", 0, active: false);
        await admin.CreateMailboxAsync("m1@example.jp", Password, "M1", 0);
        await admin.CreateMailboxAsync("m2@example.jp", Password, "M2", 0);
        await Test.ExecuteAsync("UPDATE alias SET goto = 'm1@example.jp,m2@example.jp' WHERE address = 'm1@example.jp'");
        await Test.ExecuteAsync("UPDATE alias SET goto = 'm2@example.jp,m1@example.jp' WHERE address = 'm2@example.jp'");
        await admin.CreateAliasAsync("info@example.jp", ["user1@example.jp", " user2@example.jp "]);
        await admin.CreateAliasAsync("a@example.jp", ["b@example.jp"]);
        await admin.CreateAliasAsync("b@example.jp", ["user1@example.jp"]);
        await admin.CreateAliasAsync("loop1@example.jp", ["loop2@example.jp"]);
        await admin.CreateAliasAsync("loop2@example.jp", ["loop1@example.jp"]);
        await admin.CreateAliasAsync("disabled@example.jp", ["user1@example.jp"], active: false);

        await admin.CreateAliasDomainAsync("example.com", "example.jp");

        await admin.CreateAliasAsync("@other.example", ["user1@example.jp"]);
        await admin.CreateMailboxAsync("noalias@other.example", Password, "No self-alias", 0);
        await Test.ExecuteAsync("DELETE FROM alias WHERE address = 'noalias@other.example'");
        await admin.CreateMailboxAsync("withalias@other.example", Password, "With self-alias", 0);

        await admin.CreateAliasAsync("@catch.example", ["user2@example.jp"]);
        await admin.CreateAliasDomainAsync("catchalias.example", "catch.example");

        await admin.CreateMailboxAsync("u@inactive.example", Password, "In an inactive domain", 0);

        // Vacation as PostfixAdmin writes it: the mailbox keeps its copy, the vacation address stands for the reply.
        await admin.CreateMailboxAsync("away@example.jp", Password, "On holiday", 0);
        await Test.ExecuteAsync("UPDATE alias SET goto = 'away@example.jp,away#example.jp@autoreply.example.jp' WHERE address = 'away@example.jp'");
        await admin.CreateMailboxAsync("tiny@example.jp", Password, "Tiny quota", TinyQuota);
        // PostfixAdmin's default alias with no mailbox behind it.
        await admin.CreateAliasAsync("abuse@example.jp", ["abuse@example.jp"]);
    }

    public async Task DisposeAsync() => await Test.DisposeAsync();
}

public sealed class SqliteSeededDirectory() : SeededDirectory(Backend.Sqlite);

public sealed class MariaDbSeededDirectory() : SeededDirectory(Backend.MariaDb);
