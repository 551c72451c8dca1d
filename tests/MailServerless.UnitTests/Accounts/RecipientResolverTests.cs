using MailServerless.Core.Accounts;

namespace MailServerless.UnitTests.Accounts;

/// <summary>
/// The expansion algorithm on its own, over a table of lookup answers. The SQL lookups
/// behind it (and their precedence) are proven against SQLite and MariaDB in the integration suite.
/// </summary>
public class RecipientResolverTests
{
    private readonly TableDirectory _directory = new();

    private RecipientResolver Resolver => new(_directory, "autoreply.example.jp");

    private static string[] Addresses(RecipientResolution resolution) =>
        resolution.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Self_alias_is_final()
    {
        _directory.Alias("user1@example.jp", "user1@example.jp").Mailbox("user1@example.jp");

        var result = await Resolver.ResolveAsync("user1@example.jp");

        var recipient = Assert.Single(result.Recipients);
        Assert.Equal(RecipientKind.Mailbox, recipient.Kind);
        Assert.Equal("example.jp/user1/", recipient.Mailbox!.Maildir);
    }

    [Fact]
    public async Task Alias_chain_is_followed_to_its_end()
    {
        _directory.Alias("a@example.jp", "b@example.jp").Alias("b@example.jp", "c@example.jp")
            .Alias("c@example.jp", "user1@example.jp").Alias("user1@example.jp", "user1@example.jp").Mailbox("user1@example.jp");

        var result = await Resolver.ResolveAsync("a@example.jp");

        Assert.Equal(["user1@example.jp"], Addresses(result));
    }

    [Fact]
    public async Task Two_aliases_pointing_at_each_other_are_a_loop()
    {
        _directory.Alias("loop1@example.jp", "loop2@example.jp").Alias("loop2@example.jp", "loop1@example.jp");

        var result = await Resolver.ResolveAsync("loop1@example.jp");

        Assert.Equal(ExpansionFailure.AliasLoop, result.Failure);
        Assert.Empty(result.Recipients);
    }

    [Fact]
    public async Task Mailboxes_forwarding_to_each_other_and_keeping_copies_are_not_a_loop()
    {
        // Postfix marks an address that expands to itself as final (cleanup_map1n.c), so this terminates.
        _directory.Alias("m1@example.jp", "m1@example.jp", "m2@example.jp").Mailbox("m1@example.jp")
            .Alias("m2@example.jp", "m2@example.jp", "m1@example.jp").Mailbox("m2@example.jp");

        var result = await Resolver.ResolveAsync("m1@example.jp");

        Assert.False(result.Failed);
        Assert.Equal(["m1@example.jp", "m2@example.jp"], Addresses(result));
    }

    [Fact]
    public async Task Forward_and_keep_a_copy_gives_the_mailbox_and_the_outside_address()
    {
        _directory.Alias("user2@example.jp", "user2@example.jp", "friend@remote.example").Mailbox("user2@example.jp");

        var result = await Resolver.ResolveAsync("user2@example.jp");

        Assert.Equal(RecipientKind.Mailbox, result.Recipients.Single(r => r.Address == "user2@example.jp").Kind);
        Assert.Equal(RecipientKind.Remote, result.Recipients.Single(r => r.Address == "friend@remote.example").Kind);
    }

    [Fact]
    public async Task An_address_reached_twice_is_delivered_once()
    {
        _directory.Alias("all@example.jp", "team@example.jp", "user1@example.jp")
            .Alias("team@example.jp", "user1@example.jp", "USER1@example.jp")
            .Alias("user1@example.jp", "user1@example.jp").Mailbox("user1@example.jp");

        var result = await Resolver.ResolveAsync("all@example.jp");

        Assert.Equal(["user1@example.jp"], Addresses(result));
    }

    [Fact]
    public async Task Expansion_beyond_the_postfix_limit_fails()
    {
        var targets = Enumerable.Range(0, RecipientResolver.ExpansionLimit + 1).Select(i => $"r{i}@remote.example").ToArray();
        _directory.Alias("huge@example.jp", targets);

        var result = await Resolver.ResolveAsync("huge@example.jp");

        Assert.Equal(ExpansionFailure.TooManyAddresses, result.Failure);
    }

    [Fact]
    public async Task Unknown_user_in_a_local_domain_backup_mx_remote_and_vacation_are_told_apart()
    {
        _directory.Alias("away@example.jp", "away@example.jp", "away#example.jp@autoreply.example.jp")
            .Mailbox("away@example.jp");
        _directory.Domains["backup.example"] = DomainKind.BackupMx;

        Assert.Equal(RecipientKind.UnknownUser, (await Resolver.ResolveAsync("nobody@example.jp")).Recipients.Single().Kind);
        Assert.Equal(RecipientKind.BackupMx, (await Resolver.ResolveAsync("x@backup.example")).Recipients.Single().Kind);
        Assert.Equal(RecipientKind.Remote, (await Resolver.ResolveAsync("x@gmail.example")).Recipients.Single().Kind);
        var vacation = await Resolver.ResolveAsync("away@example.jp");
        Assert.Contains(vacation.Recipients, r => r.Kind == RecipientKind.Vacation && r.Address == "away#example.jp@autoreply.example.jp");
        Assert.Contains(vacation.Recipients, r => r.Kind == RecipientKind.Mailbox);
    }

    [Fact]
    public async Task Mailbox_with_an_escaping_maildir_is_a_configuration_error()
    {
        _directory.Mailboxes["evil@example.jp"] = new Mailbox("evil@example.jp", "", "../../etc/", 0, "evil", "example.jp");

        var recipient = (await Resolver.ResolveAsync("evil@example.jp")).Recipients.Single();

        Assert.Equal(RecipientKind.Misconfigured, recipient.Kind);
        Assert.Contains("'..'", recipient.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directory_outage_propagates_as_temporary()
    {
        _directory.Down = true;

        await Assert.ThrowsAsync<DirectoryUnavailableException>(() => Resolver.ResolveAsync("user1@example.jp"));
    }

    /// <summary>Lookup answers from tables in memory; example.jp is the only local domain by default.</summary>
    private sealed class TableDirectory : IAccountDirectory
    {
        public Dictionary<string, string[]> Aliases { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, Mailbox> Mailboxes { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, DomainKind> Domains { get; } = new(StringComparer.OrdinalIgnoreCase) { ["example.jp"] = DomainKind.Local };

        public bool Down { get; set; }

        public TableDirectory Alias(string address, params string[] targets)
        {
            Aliases[address] = targets;
            return this;
        }

        public TableDirectory Mailbox(string address)
        {
            var (local, domain) = (address.Split('@')[0], address.Split('@')[1]);
            Mailboxes[address] = new Mailbox(address, local, $"{domain}/{local}/", 0, local, domain);
            return this;
        }

        public Task<DomainKind> GetDomainKindAsync(string domain, CancellationToken cancellationToken = default) =>
            Down ? throw new DirectoryUnavailableException("down") : Task.FromResult(Domains.GetValueOrDefault(domain));

        public Task<IReadOnlyList<string>?> LookupAliasAsync(string address, CancellationToken cancellationToken = default) =>
            Down
                ? throw new DirectoryUnavailableException("down")
                : Task.FromResult<IReadOnlyList<string>?>(Aliases.GetValueOrDefault(address));

        public Task<Mailbox?> FindMailboxAsync(string address, CancellationToken cancellationToken = default) =>
            Task.FromResult(Mailboxes.GetValueOrDefault(address));

        public Task<AuthenticationResult> AuthenticateAsync(string address, string password, CancellationToken cancellationToken = default) =>
            Task.FromResult(AuthenticationResult.Failed("not used"));
    }
}
