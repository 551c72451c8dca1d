using System.Net;
using MailServerless.EdgeServer.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailServerless.UnitTests.Smtp;

public class AuthThrottleTests
{
    private readonly FakeTimeProvider _clock = new();

    private AuthThrottle Throttle => new(new AuthThrottleOptions { MaxFailuresPerAddress = 100, MaxFailuresPerAccount = 3 }, _clock, NullLogger<AuthThrottle>.Instance);

    [Fact]
    public void Spelling_variants_of_one_account_share_one_budget()
    {
        var throttle = Throttle;
        var attacker = IPAddress.Parse("192.0.2.1");

        throttle.RecordFailure(attacker, "user1@example.jp");
        throttle.RecordFailure(IPAddress.Parse("192.0.2.2"), " USER1@Example.JP. ");
        throttle.RecordFailure(IPAddress.Parse("192.0.2.3"), "user1@EXAMPLE.jp");

        Assert.True(throttle.IsBlocked(IPAddress.Parse("198.51.100.7"), "User1@example.jp"));
        Assert.False(throttle.IsBlocked(attacker, "user2@example.jp"));
    }

    [Fact]
    public void Block_lifts_when_the_window_has_passed()
    {
        var throttle = Throttle;
        for (var i = 0; i < 3; i++)
        {
            throttle.RecordFailure(IPAddress.Loopback, "user1@example.jp");
        }

        Assert.True(throttle.IsBlocked(IPAddress.Loopback, "user1@example.jp"));
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.False(throttle.IsBlocked(IPAddress.Loopback, "user1@example.jp"));
    }
}
