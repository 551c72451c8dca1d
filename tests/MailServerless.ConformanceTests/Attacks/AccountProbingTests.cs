using MailServerless.Core.Accounts;
using MailServerless.Core.Administration;
using MailServerless.Core.Passwords;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// A wrong password costs the same work whether or not the mailbox (or admin) exists: one hash of the
/// directory's scheme either way, so that AUTH timing cannot be used to list the accounts.
/// </summary>
public sealed class AccountProbingTests : IAsyncLifetime
{
    private TestDirectory _test = null!;

    public async Task InitializeAsync()
    {
        _test = await TestDirectory.CreateAsync(Backend.Sqlite);
        await _test.Admin.CreateDomainAsync(new DomainSettings("a.test"));
        await _test.Admin.CreateMailboxAsync("dave@a.test", "the right password", "Dave", 0);
        await _test.Admin.CreateMailboxAsync("old@a.test", "the right password", "Old", 0);
        // A mailbox migrated from PostfixAdmin, with its MD5-CRYPT hash.
        var md5 = new PasswordService("MD5-CRYPT", "MD5-CRYPT", NullLogger<PasswordService>.Instance).Hash("the right password");
        await _test.ExecuteAsync("UPDATE mailbox SET password = @md5 WHERE username = 'old@a.test'", new { md5 });
    }

    public async Task DisposeAsync() => await _test.DisposeAsync();

    /// <summary>The hashes of <paramref name="scheme"/> computed while <paramref name="login"/> ran.</summary>
    private async Task<long> HashesAsync(string scheme, Func<Task> login)
    {
        var before = _test.Passwords.ChecksOf(scheme);
        await login();
        return _test.Passwords.ChecksOf(scheme) - before;
    }

    [Fact]
    public async Task A_missing_mailbox_costs_one_hash_of_the_scheme_a_wrong_password_costs()
    {
        Assert.Equal(1, await HashesAsync("BLF-CRYPT", () => _test.Directory.AuthenticateAsync("dave@a.test", "wrong")));
        Assert.Equal(1, await HashesAsync("BLF-CRYPT", () => _test.Directory.AuthenticateAsync("nobody@a.test", "wrong")));
        Assert.Equal(1, await HashesAsync("BLF-CRYPT", () => _test.Directory.AuthenticateAsync("dave@elsewhere.test", "wrong")));
        Assert.Equal(1, await HashesAsync("BLF-CRYPT", () => _test.Directory.AuthenticateAsync("not an address", "wrong")));
    }

    [Fact]
    public async Task The_stand_in_hash_follows_the_scheme_the_directory_holds()
    {
        Assert.Equal(1, await HashesAsync("MD5-CRYPT", () => _test.Directory.AuthenticateAsync("old@a.test", "wrong")));
        Assert.Equal(1, await HashesAsync("MD5-CRYPT", () => _test.Directory.AuthenticateAsync("nobody@a.test", "wrong")));
    }

    [Fact]
    public async Task A_missing_admin_costs_a_hash_too()
    {
        await _test.Admin.CreateOrResetSuperadminAsync("admin@a.test", "the right password");
        var admins = new AdminAuthenticator(_test.Database, _test.Passwords);

        Assert.Equal(1, await HashesAsync("BLF-CRYPT", () => admins.AuthenticateAsync("admin@a.test", "wrong", "test")));
        Assert.Equal(1, await HashesAsync("BLF-CRYPT", () => admins.AuthenticateAsync("ghost@a.test", "wrong", "test")));
    }
}
