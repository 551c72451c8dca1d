using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.IntegrationTests.Accounts;

namespace MailServerless.IntegrationTests.Administration;

/// <summary>
/// A list's <c>search</c> (the console's search box, the API's <c>?search=</c>) finds a piece of a name anywhere, in any
/// ASCII case, on MariaDB and SQLite alike; <c>%</c> and <c>_</c> are only themselves.
/// </summary>
public abstract class ListSearchTests(SeededDirectory seeded)
{
    private static readonly AdminActor Superadmin = new("admin@example.jp", true, new HashSet<string>(), "test");

    private Domains Domains => new(seeded.Test.Database, new AdministrationLog(seeded.Test.Database, TimeProvider.System), new AdministrationOptions(), TimeProvider.System);

    private Aliases Aliases => new(seeded.Test.Database, new AdministrationLog(seeded.Test.Database, TimeProvider.System), new MailOptions(), TimeProvider.System);

    [Fact]
    public async Task A_search_finds_a_piece_of_the_name_in_any_case()
    {
        Assert.Equal(["catch.example", "catchalias.example"], await DomainNamesAsync("catch"));
        Assert.Equal(["catch.example", "catchalias.example"], await DomainNamesAsync("CATCH"));
        Assert.Equal(["example.jp"], await DomainNamesAsync("テスト example.jp"));  // the description counts too

        var page = await Aliases.ListAsync(Superadmin, new PageRequest(0, 1, null, "loop"));
        Assert.Equal(2, page.Total);
        Assert.Equal(["loop1@example.jp"], page.Items.Select(a => a.Address));
        // An alias is found by where it goes, too.
        var toUser2 = await Aliases.ListAsync(Superadmin, new PageRequest(Search: "user2@"));
        Assert.Equal(["@catch.example", "info@example.jp"], toUser2.Items.Select(a => a.Address));
    }

    [Fact]
    public async Task Wildcards_in_a_search_are_only_themselves()
    {
        Assert.Empty(await DomainNamesAsync("_"));
        Assert.Empty(await DomainNamesAsync("%"));
        Assert.Empty(await DomainNamesAsync("!"));
        Assert.Empty(await DomainNamesAsync("example_jp"));
        Assert.NotEmpty(await DomainNamesAsync(" "));  // blank: no search
        var tooLong = await Assert.ThrowsAsync<AdministrationException>(() => DomainNamesAsync(new string('a', 256)));
        Assert.Equal("search", tooLong.Field);
    }

    private async Task<List<string>> DomainNamesAsync(string search) =>
        (await Domains.ListAsync(Superadmin, new PageRequest(Search: search))).Items.Select(d => d.Domain).ToList();
}

public sealed class SqliteListSearchTests(SqliteSeededDirectory seeded) : ListSearchTests(seeded), IClassFixture<SqliteSeededDirectory>;

public sealed class MariaDbListSearchTests(MariaDbSeededDirectory seeded) : ListSearchTests(seeded), IClassFixture<MariaDbSeededDirectory>;
