using MailServerless.Core.Accounts;

namespace MailServerless.IntegrationTests.Accounts;

/// <summary>
/// The seed's lookups (Postfix maps, Dovecot queries) on a PostfixAdmin-shaped directory,
/// run once on SQLite and once on MariaDB.
/// </summary>
public abstract class DirectoryLookupTests(SeededDirectory seeded)
{
    private IAccountDirectory Directory => seeded.Test.Directory;

    private RecipientResolver Resolver => new(Directory, "autoreply.example.jp");

    private async Task<string[]> FinalAddressesAsync(string recipient)
    {
        var resolution = await Resolver.ResolveAsync(recipient);
        Assert.False(resolution.Failed, $"{recipient}: {resolution.Failure}");
        return resolution.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal).ToArray();
    }

    [Theory]
    [InlineData("example.jp", DomainKind.Local)]
    [InlineData("EXAMPLE.JP", DomainKind.Local)]
    [InlineData("example.com", DomainKind.Local)]
    [InlineData("backup.example", DomainKind.BackupMx)]
    [InlineData("inactive.example", DomainKind.NotLocal)]
    [InlineData("gmail.example", DomainKind.NotLocal)]
    [InlineData("ALL", DomainKind.NotLocal)]
    public async Task Domain_kind_follows_active_and_backupmx(string domain, DomainKind kind)
    {
        Assert.Equal(kind, await Directory.GetDomainKindAsync(domain));
    }

    [Fact]
    public async Task Mailbox_is_reached_through_its_self_alias()
    {
        var recipient = Assert.Single((await Resolver.ResolveAsync("user1@example.jp")).Recipients);

        Assert.Equal(RecipientKind.Mailbox, recipient.Kind);
        Assert.Equal("example.jp/user1/", recipient.Mailbox!.Maildir);
        Assert.Equal(10 * DirectoryAdministration.QuotaMultiplier, recipient.Mailbox.QuotaBytes);
        Assert.Equal("山田 太郎", recipient.Mailbox.Name);
    }

    [Theory]
    [InlineData("User1@Example.JP")]
    [InlineData("USER1@example.jp")]
    public async Task Addresses_are_compared_case_insensitively(string address)
    {
        Assert.Equal(["user1@example.jp"], await FinalAddressesAsync(address));
        Assert.Equal("user1@example.jp", (await Directory.FindMailboxAsync(address))!.Username);
    }

    [Fact]
    public async Task Comma_separated_goto_expands_to_every_target()
    {
        Assert.Equal(["friend@remote.example", "user1@example.jp", "user2@example.jp"], await FinalAddressesAsync("info@example.jp"));
    }

    [Fact]
    public async Task Alias_chain_is_followed()
    {
        Assert.Equal(["user1@example.jp"], await FinalAddressesAsync("a@example.jp"));
    }

    [Fact]
    public async Task Alias_loop_is_reported_not_followed_forever()
    {
        var resolution = await Resolver.ResolveAsync("loop1@example.jp");

        Assert.Equal(ExpansionFailure.AliasLoop, resolution.Failure);
    }

    [Fact]
    public async Task Mailboxes_forwarding_to_each_other_with_copies_get_one_copy_each()
    {
        Assert.Equal(["m1@example.jp", "m2@example.jp"], await FinalAddressesAsync("m1@example.jp"));
    }

    [Fact]
    public async Task Forward_and_keep_a_copy_reaches_the_mailbox_and_the_outside_address()
    {
        var resolution = await Resolver.ResolveAsync("user2@example.jp");

        Assert.Contains(resolution.Recipients, r => r is { Address: "user2@example.jp", Kind: RecipientKind.Mailbox });
        Assert.Contains(resolution.Recipients, r => r is { Address: "friend@remote.example", Kind: RecipientKind.Remote });
    }

    [Fact]
    public async Task Inactive_alias_is_ignored()
    {
        var recipient = Assert.Single((await Resolver.ResolveAsync("disabled@example.jp")).Recipients);

        Assert.Equal(RecipientKind.UnknownUser, recipient.Kind);
    }

    [Fact]
    public async Task Inactive_mailbox_is_an_unknown_user()
    {
        var recipient = Assert.Single((await Resolver.ResolveAsync("user3@example.jp")).Recipients);

        Assert.Equal(RecipientKind.UnknownUser, recipient.Kind);
        Assert.Null(await Directory.FindMailboxAsync("user3@example.jp"));
    }

    [Fact]
    public async Task Unknown_user_in_a_local_domain_without_catch_all_is_unknown()
    {
        var recipient = Assert.Single((await Resolver.ResolveAsync("nobody@example.jp")).Recipients);

        Assert.Equal(RecipientKind.UnknownUser, recipient.Kind);
    }

    [Fact]
    public async Task Alias_domain_rewrites_to_the_target_domain()
    {
        Assert.Equal(["user1@example.jp"], await FinalAddressesAsync("user1@example.com"));
        Assert.Equal(["friend@remote.example", "user1@example.jp", "user2@example.jp"], await FinalAddressesAsync("info@EXAMPLE.com"));
        Assert.Equal("user1@example.jp", (await Directory.FindMailboxAsync("user1@example.com"))!.Username);
    }

    [Fact]
    public async Task Alias_domain_of_a_domain_with_catch_all_reaches_the_target_catch_all()
    {
        Assert.Equal(["friend@remote.example", "user2@example.jp"], await FinalAddressesAsync("anyone@catchalias.example"));
    }

    [Fact]
    public async Task Catch_all_takes_unknown_local_parts()
    {
        Assert.Equal(["user1@example.jp"], await FinalAddressesAsync("whoever@other.example"));
    }

    [Fact]
    public async Task Catch_all_wins_over_a_mailbox_that_has_no_self_alias()
    {
        // Postfix looks up virtual_alias_maps (where the catch-all is) before virtual_mailbox_maps.
        Assert.Equal(["user1@example.jp"], await FinalAddressesAsync("noalias@other.example"));
    }

    [Fact]
    public async Task Mailbox_with_its_self_alias_is_not_taken_by_the_catch_all()
    {
        Assert.Equal(["withalias@other.example"], await FinalAddressesAsync("withalias@other.example"));
    }

    [Fact]
    public async Task Mailbox_in_an_inactive_domain_is_not_local()
    {
        var recipient = Assert.Single((await Resolver.ResolveAsync("u@inactive.example")).Recipients);

        Assert.Equal(RecipientKind.Remote, recipient.Kind);
    }

    [Fact]
    public async Task Backup_mx_domain_is_relayed_not_delivered()
    {
        var recipient = Assert.Single((await Resolver.ResolveAsync("someone@backup.example")).Recipients);

        Assert.Equal(RecipientKind.BackupMx, recipient.Kind);
    }

    [Fact]
    public async Task Lookup_of_an_address_outside_latin1_finds_nothing_and_does_not_fail()
    {
        Assert.Null(await Directory.LookupAliasAsync("山田@example.jp"));
        Assert.Null(await Directory.FindMailboxAsync("山田@example.jp"));
        Assert.False((await Directory.AuthenticateAsync("山田@example.jp", SeededDirectory.Password)).Succeeded);
    }

    [Theory]
    [InlineData("user1@example.jp")]
    [InlineData("User1@EXAMPLE.jp")]
    public async Task Login_with_the_right_password_succeeds(string login)
    {
        var result = await Directory.AuthenticateAsync(login, SeededDirectory.Password);

        Assert.True(result.Succeeded, result.FailureReason);
        Assert.Equal("user1@example.jp", result.Mailbox!.Username);
    }

    [Theory]
    [InlineData("user1@example.jp", "wrong", "password mismatch")]
    [InlineData("user1@example.jp", "", "empty password")]
    [InlineData("user3@example.jp", SeededDirectory.Password, "no active mailbox")]
    [InlineData("u@inactive.example", SeededDirectory.Password, "no active mailbox")]
    [InlineData("nobody@example.jp", SeededDirectory.Password, "no active mailbox")]
    [InlineData("user1@example.com", SeededDirectory.Password, "no active mailbox")]
    [InlineData("not an address", SeededDirectory.Password, "not a directory address")]
    public async Task Login_fails_with_a_logged_reason(string login, string password, string reason)
    {
        var result = await Directory.AuthenticateAsync(login, password);

        Assert.False(result.Succeeded);
        Assert.Equal(reason, result.FailureReason);
    }
}

public sealed class SqliteDirectoryLookupTests(SqliteSeededDirectory seeded)
    : DirectoryLookupTests(seeded), IClassFixture<SqliteSeededDirectory>;

public sealed class MariaDbDirectoryLookupTests(MariaDbSeededDirectory seeded)
    : DirectoryLookupTests(seeded), IClassFixture<MariaDbSeededDirectory>;
