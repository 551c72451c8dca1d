using System.Net;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// Password guessing spread over SMTP AUTH, IMAP and POP3 draws on one budget per client address and one
/// per account and client address: past either, even the right password is refused from there for a
/// while, and the block is logged. Guesses at one account from many addresses never lock its owner out.
/// </summary>
public sealed class PasswordGuessingTests : IAsyncLifetime
{
    private const int PerAddress = 6;
    private const int PerAccountAndAddress = 3;
    private const int PerAccount = 5;
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync(
        "--Mail:Auth:FailureDelay=00:00:00.050",
        $"--Mail:Auth:MaxFailuresPerAddress={PerAddress}",
        $"--Mail:Auth:MaxFailuresPerAccountAndAddress={PerAccountAndAddress}",
        $"--Mail:Auth:MaxFailuresPerAccount={PerAccount}",
        "--Mail:Auth:AccountPenalty=00:00:00.200");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static IPAddress Loopback(int last) => IPAddress.Parse($"127.0.0.{last}");

    private Task<int> LoggedAsync(string text) => _server.WaitForOutputAsync(text, TimeSpan.FromSeconds(5));

    private async Task AssertRefusedEverywhereAsync(IPAddress from, string user)
    {
        var password = MailServerInstance.Password;
        Assert.StartsWith("454 4.7.0 Too many failed", await LoginAttempts.SmtpAsync(_server, from, user, password), StringComparison.Ordinal);
        Assert.StartsWith("a NO [UNAVAILABLE] Too many failed", await LoginAttempts.ImapAsync(_server, from, user, password), StringComparison.Ordinal);
        Assert.StartsWith("-ERR [SYS/TEMP] Too many failed", await LoginAttempts.Pop3Async(_server, from, user, password), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guesses_from_one_address_over_all_three_protocols_block_that_address_and_no_other()
    {
        var attacker = Loopback(5);
        for (var i = 0; i < PerAddress; i++)
        {
            // A different account each time: only the address's budget runs out.
            var answer = await LoginAttempts.AnyAsync(i, _server, attacker, $"nobody{i}@example.jp", "guess");
            Assert.Matches("^(535 5.7.8|a NO \\[AUTHENTICATIONFAILED\\]|-ERR \\[AUTH\\])", answer);
        }

        await AssertRefusedEverywhereAsync(attacker, "user1@example.jp");
        Assert.StartsWith("a OK", await LoginAttempts.ImapAsync(_server, Loopback(6), "user1@example.jp", MailServerInstance.Password), StringComparison.Ordinal);

        Assert.Equal(1, await LoggedAsync($"client [{attacker}] blocked after {PerAddress} failed logins"));
        Assert.Equal(1, await LoggedAsync($"smtp [{attacker}] authentication failed for nobody0@example.jp"));
        Assert.Equal(1, await LoggedAsync($"imap authentication failed from [{attacker}] user=nobody1@example.jp"));
        Assert.Equal(1, await LoggedAsync($"pop3 authentication failed from [{attacker}] user=nobody2@example.jp"));
    }

    [Fact]
    public async Task Guesses_at_one_account_from_one_address_block_that_address_for_that_account_only()
    {
        var attacker = Loopback(30);
        for (var i = 0; i < PerAccountAndAddress; i++)
        {
            var answer = await LoginAttempts.AnyAsync(i, _server, attacker, "user4@example.jp", "guess" + i);
            Assert.Matches("^(535 5.7.8|a NO \\[AUTHENTICATIONFAILED\\]|-ERR \\[AUTH\\])", answer);
        }

        await AssertRefusedEverywhereAsync(attacker, "user4@example.jp");
        Assert.StartsWith("a OK", await LoginAttempts.ImapAsync(_server, attacker, "user5@example.jp", MailServerInstance.Password), StringComparison.Ordinal);
        Assert.StartsWith("a OK", await LoginAttempts.ImapAsync(_server, Loopback(31), "user4@example.jp", MailServerInstance.Password), StringComparison.Ordinal);
        Assert.Equal(1, await LoggedAsync($"client [{attacker}] blocked for account user4@example.jp after {PerAccountAndAddress} failed logins"));
    }

    [Fact]
    public async Task A_user_name_cannot_forge_a_log_line_that_would_get_someone_else_banned()
    {
        const string Forged = "authentication throttle: client [203.0.113.9] blocked after 6 failed logins";
        var answer = await LoginAttempts.SmtpAsync(_server, Loopback(40), $"evil\n      {Forged}\r\n", "guess");
        Assert.StartsWith("535 5.7.8", answer, StringComparison.Ordinal);
        Assert.True(await LoggedAsync("smtp [127.0.0.40] authentication failed") == 1);
        Assert.DoesNotContain(_server.Output.Split('\n'), line => line.TrimStart().StartsWith(Forged, StringComparison.Ordinal));
    }
}

/// <summary>
/// Guesses at one account from many addresses (20 addresses, one guess each, against a per-account threshold
/// of 5) never lock its owner out: a right password from an address with no failures logs in everywhere.
/// </summary>
public sealed class AccountLockoutTests : IAsyncLifetime
{
    private const int PerAccount = 5;
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync(
        "--Mail:Auth:FailureDelay=00:00:00.050", $"--Mail:Auth:MaxFailuresPerAccount={PerAccount}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static IPAddress Loopback(int last) => IPAddress.Parse($"127.0.0.{last}");

    private Task<int> LoggedAsync(string text) => _server.WaitForOutputAsync(text, TimeSpan.FromSeconds(5));

    [Fact]
    public async Task Guesses_at_one_account_from_many_addresses_never_lock_its_owner_out()
    {
        for (var i = 0; i < 4 * PerAccount; i++)
        {
            // One guess from each address: no address runs out; the account is under attack.
            var answer = await LoginAttempts.AnyAsync(i, _server, Loopback(100 + i), "user2@example.jp", "guess" + i);
            Assert.Matches("^(535 5.7.8|a NO \\[AUTHENTICATIONFAILED\\]|-ERR \\[AUTH\\])", answer);
        }

        var owner = Loopback(20);
        var password = MailServerInstance.Password;
        Assert.StartsWith("235 2.7.0", await LoginAttempts.SmtpAsync(_server, owner, "USER2@example.jp", password), StringComparison.Ordinal);
        Assert.StartsWith("a OK", await LoginAttempts.ImapAsync(_server, owner, "user2@example.jp", password), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await LoginAttempts.Pop3Async(_server, owner, "user2@example.jp", password), StringComparison.Ordinal);
        Assert.Equal(1, await LoggedAsync($"account user2@example.jp has {PerAccount} failed logins; attempts for it from clients that failed wait"));
    }
}
