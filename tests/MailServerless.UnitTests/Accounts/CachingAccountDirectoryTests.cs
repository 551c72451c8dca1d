using MailServerless.Core.Accounts;
using Microsoft.Extensions.Time.Testing;

namespace MailServerless.UnitTests.Accounts;

public class CachingAccountDirectoryTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly CountingDirectory _inner = new();

    private CachingAccountDirectory Cache => new(_inner, TimeSpan.FromSeconds(10), _clock);

    [Fact]
    public async Task Lookups_are_remembered_for_the_lifetime_then_asked_again()
    {
        var cache = Cache;

        await cache.LookupAliasAsync("a@example.jp");
        await cache.LookupAliasAsync("A@EXAMPLE.JP");
        _clock.Advance(TimeSpan.FromSeconds(11));
        await cache.LookupAliasAsync("a@example.jp");

        Assert.Equal(2, _inner.Calls);
    }

    [Fact]
    public async Task Failures_are_not_remembered_and_logins_never_cached()
    {
        var cache = Cache;
        _inner.Down = true;
        await Assert.ThrowsAsync<DirectoryUnavailableException>(() => cache.GetDomainKindAsync("example.jp"));
        _inner.Down = false;

        Assert.Equal(DomainKind.Local, await cache.GetDomainKindAsync("example.jp"));
        await cache.AuthenticateAsync("a@example.jp", "pw");
        await cache.AuthenticateAsync("a@example.jp", "pw");
        Assert.Equal(4, _inner.Calls);
    }

    private sealed class CountingDirectory : IAccountDirectory
    {
        public int Calls { get; private set; }

        public bool Down { get; set; }

        private T Answer<T>(T value)
        {
            Calls++;
            return Down ? throw new DirectoryUnavailableException("down") : value;
        }

        public Task<DomainKind> GetDomainKindAsync(string domain, CancellationToken cancellationToken = default) =>
            Task.FromResult(Answer(DomainKind.Local));

        public Task<IReadOnlyList<string>?> LookupAliasAsync(string address, CancellationToken cancellationToken = default) =>
            Task.FromResult(Answer<IReadOnlyList<string>?>(["x@example.jp"]));

        public Task<Mailbox?> FindMailboxAsync(string address, CancellationToken cancellationToken = default) =>
            Task.FromResult(Answer<Mailbox?>(null));

        public Task<AuthenticationResult> AuthenticateAsync(string address, string password, CancellationToken cancellationToken = default) =>
            Task.FromResult(Answer(AuthenticationResult.Failed("no")));
    }
}
