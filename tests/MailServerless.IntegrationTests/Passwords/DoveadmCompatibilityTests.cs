using MailServerless.Core.Passwords;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Passwords;

/// <summary>
/// Both directions against the real Dovecot (Debian's dovecot-core, installed by tests/run.sh):
/// what <c>doveadm pw</c> makes now we verify, and what we make <c>doveadm pw -t</c> verifies.
/// </summary>
public class DoveadmCompatibilityTests
{
    private const string Password = "Pässwörd 日本 €";

    private static readonly PasswordService Verifier = new("MD5-CRYPT", "BLF-CRYPT", NullLogger<PasswordService>.Instance);

    private static async Task<string> DoveadmHashAsync(string scheme, string password)
    {
        var result = await ProcessRunner.RunAsync("doveadm", ["pw", "-s", scheme, "-p", password]);
        Assert.True(result.ExitCode == 0, $"doveadm pw -s {scheme}: {result.Error}");
        return result.Output.Trim();
    }

    private static async Task<bool> DoveadmVerifiesAsync(string hash, string password)
    {
        var result = await ProcessRunner.RunAsync("doveadm", ["pw", "-t", hash, "-p", password]);
        return result.ExitCode == 0 && result.Output.Contains("(verified)", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MD5-CRYPT")]
    [InlineData("SHA256-CRYPT")]
    [InlineData("SHA512-CRYPT")]
    [InlineData("BLF-CRYPT")]
    [InlineData("ARGON2I")]
    [InlineData("ARGON2ID")]
    [InlineData("PLAIN-MD5")]
    [InlineData("PLAIN")]
    [InlineData("CRYPT")]
    public async Task Hash_made_by_doveadm_now_verifies_and_a_wrong_password_fails(string scheme)
    {
        var hash = await DoveadmHashAsync(scheme, Password);

        Assert.StartsWith($"{{{scheme}}}", hash, StringComparison.Ordinal);
        Assert.True(Verifier.Verify(Password, hash).Succeeded, hash);
        Assert.False(Verifier.Verify(Password + "x", hash).Succeeded, hash);
    }

    [Theory]
    [InlineData("MD5-CRYPT")]
    [InlineData("SHA512-CRYPT")]
    public async Task Doveadm_hash_with_the_prefix_removed_verifies_as_postfixadmin_stores_it(string scheme)
    {
        var hash = await DoveadmHashAsync(scheme, Password);
        var bare = hash[(hash.IndexOf('}', StringComparison.Ordinal) + 1)..];

        Assert.True(Verifier.Verify(Password, bare).Succeeded, bare);
    }

    [Theory]
    [InlineData("BLF-CRYPT")]
    [InlineData("ARGON2ID")]
    [InlineData("ARGON2I")]
    [InlineData("SHA512-CRYPT")]
    [InlineData("SHA256-CRYPT")]
    [InlineData("MD5-CRYPT")]
    public async Task Hash_we_write_is_verified_by_stock_dovecot(string scheme)
    {
        var hash = new PasswordService("MD5-CRYPT", scheme, NullLogger<PasswordService>.Instance).Hash(Password);
        // Dovecot reads a bare $1$ hash with the seed's default_pass_scheme = MD5-CRYPT; doveadm -t needs the prefix.
        var forDoveadm = hash.StartsWith('{') ? hash : "{MD5-CRYPT}" + hash;

        Assert.True(await DoveadmVerifiesAsync(forDoveadm, Password), forDoveadm);
        Assert.False(await DoveadmVerifiesAsync(forDoveadm, Password + "x"), forDoveadm);
    }
}
