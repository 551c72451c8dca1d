using System.Net;
using MailServerless.EdgeServer.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailServerless.UnitTests.Smtp;

public class AuthThrottleTests
{
    private readonly FakeTimeProvider _clock = new();

    private AuthThrottle Throttle => new(new AuthOptions { MaxFailuresPerAddress = 100, MaxFailuresPerAccount = 3 }, _clock, NullLogger<AuthThrottle>.Instance);

    private static void Fail(AuthThrottle throttle, IPAddress client, string account)
    {
        using var attempt = throttle.TryBegin(client, account);
        Assert.NotNull(attempt);
        attempt.Fail();
    }

    [Fact]
    public void Attempts_still_being_checked_count_so_parallel_guesses_cannot_pass_the_budget()
    {
        var throttle = Throttle;
        var attempts = Enumerable.Range(0, 10).Select(i => throttle.TryBegin(IPAddress.Parse($"192.0.2.{i + 1}"), "user1@example.jp")).ToList();
        Assert.Equal(3, attempts.Count(a => a is not null));
        foreach (var attempt in attempts)
        {
            attempt?.Dispose();
        }

        // Settled without failing (a right password): the budget is whole again.
        Assert.False(throttle.IsBlocked(IPAddress.Loopback, "user1@example.jp"));
        Assert.NotNull(throttle.TryBegin(IPAddress.Loopback, "user1@example.jp"));
    }

    [Fact]
    public void An_ipv6_client_is_its_whole_64()
    {
        var throttle = new AuthThrottle(new AuthOptions { MaxFailuresPerAddress = 2, MaxFailuresPerAccount = 100 }, _clock, NullLogger<AuthThrottle>.Instance);
        Fail(throttle, IPAddress.Parse("2001:db8:1:2::1"), "a@example.jp");
        Fail(throttle, IPAddress.Parse("2001:db8:1:2:ffff::9"), "b@example.jp");
        Assert.True(throttle.IsBlocked(IPAddress.Parse("2001:db8:1:2:1234::1"), "c@example.jp"));
        Assert.False(throttle.IsBlocked(IPAddress.Parse("2001:db8:1:3::1"), "c@example.jp"));
    }

    [Fact]
    public void Spelling_variants_of_one_account_share_one_budget()
    {
        var throttle = Throttle;
        var attacker = IPAddress.Parse("192.0.2.1");

        Fail(throttle, attacker, "user1@example.jp");
        Fail(throttle, IPAddress.Parse("192.0.2.2"), " USER1@Example.JP. ");
        Fail(throttle, IPAddress.Parse("192.0.2.3"), "user1@EXAMPLE.jp");

        Assert.True(throttle.IsBlocked(IPAddress.Parse("198.51.100.7"), "User1@example.jp"));
        Assert.False(throttle.IsBlocked(attacker, "user2@example.jp"));
    }

    [Fact]
    public void Block_lifts_when_the_window_has_passed()
    {
        var throttle = Throttle;
        for (var i = 0; i < 3; i++)
        {
            Fail(throttle, IPAddress.Loopback, "user1@example.jp");
        }

        Assert.True(throttle.IsBlocked(IPAddress.Loopback, "user1@example.jp"));
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.False(throttle.IsBlocked(IPAddress.Loopback, "user1@example.jp"));
    }
}
