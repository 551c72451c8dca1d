using System.Net;
using MailServerless.EdgeServer.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailServerless.UnitTests.Smtp;

public class AuthThrottleTests
{
    private readonly FakeTimeProvider _clock = new();

    private AuthThrottle Throttle => new(
        new AuthOptions { MaxFailuresPerAddress = 100, MaxFailuresPerAccountAndAddress = 3, MaxFailuresPerAccount = 5 }, _clock, NullLogger<AuthThrottle>.Instance);

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
        var attempts = Enumerable.Range(0, 10).Select(_ => throttle.TryBegin(IPAddress.Parse("192.0.2.1"), "user1@example.jp")).ToList();
        Assert.Equal(3, attempts.Count(a => a is not null));
        foreach (var attempt in attempts)
        {
            attempt?.Dispose();
        }

        // Settled without failing (a right password): the budget is whole again.
        Assert.False(throttle.IsBlocked(IPAddress.Parse("192.0.2.1"), "user1@example.jp"));
        Assert.NotNull(throttle.TryBegin(IPAddress.Parse("192.0.2.1"), "user1@example.jp"));
    }

    [Fact]
    public void An_ipv6_client_is_its_whole_64()
    {
        var throttle = new AuthThrottle(new AuthOptions { MaxFailuresPerAddress = 2 }, _clock, NullLogger<AuthThrottle>.Instance);
        Fail(throttle, IPAddress.Parse("2001:db8:1:2::1"), "a@example.jp");
        Fail(throttle, IPAddress.Parse("2001:db8:1:2:ffff::9"), "b@example.jp");
        Assert.True(throttle.IsBlocked(IPAddress.Parse("2001:db8:1:2:1234::1"), "c@example.jp"));
        Assert.False(throttle.IsBlocked(IPAddress.Parse("2001:db8:1:3::1"), "c@example.jp"));
    }

    [Fact]
    public void Guesses_at_one_account_block_that_client_for_that_account_only()
    {
        var throttle = Throttle;
        var attacker = IPAddress.Parse("192.0.2.1");

        Fail(throttle, attacker, "user1@example.jp");
        Fail(throttle, attacker, " USER1@Example.JP. ");
        Fail(throttle, attacker, "user1@EXAMPLE.jp");

        Assert.True(throttle.IsBlocked(attacker, "User1@example.jp"));
        Assert.False(throttle.IsBlocked(attacker, "user2@example.jp"));
        Assert.False(throttle.IsBlocked(IPAddress.Parse("198.51.100.7"), "user1@example.jp"));
    }

    [Fact]
    public void Guesses_from_many_clients_never_lock_the_account_they_slow_the_clients_that_failed()
    {
        var throttle = Throttle;
        for (var i = 0; i < 50; i++)
        {
            Fail(throttle, IPAddress.Parse($"192.0.2.{i + 1}"), "user1@example.jp");
        }

        var owner = IPAddress.Parse("198.51.100.7");
        Assert.False(throttle.IsBlocked(owner, "user1@example.jp"));
        Assert.Null(throttle.Penalty(owner, "user1@example.jp"));
        Assert.Equal(TimeSpan.FromSeconds(15), throttle.Penalty(IPAddress.Parse("192.0.2.1"), "user1@example.jp"));
        Assert.Null(throttle.Penalty(IPAddress.Parse("192.0.2.1"), "user2@example.jp"));
    }

    [Fact]
    public async Task The_penalty_is_waited_before_the_attempt_begins()
    {
        var throttle = Throttle;
        var attacker = IPAddress.Parse("192.0.2.1");
        for (var i = 0; i < 5; i++)
        {
            Fail(throttle, IPAddress.Parse($"192.0.2.{i + 1}"), "user1@example.jp");
        }

        var begun = throttle.BeginAsync(attacker, "user1@example.jp", CancellationToken.None);
        Assert.False(begun.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(15));
        using var attempt = await begun;
        Assert.NotNull(attempt);
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
