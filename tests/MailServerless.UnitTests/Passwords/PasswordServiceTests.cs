using MailServerless.Core.Passwords;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.UnitTests.Passwords;

public class PasswordServiceTests
{
    private static PasswordService Service(string defaultScheme = "MD5-CRYPT", string newScheme = "BLF-CRYPT") =>
        new(defaultScheme, newScheme, NullLogger<PasswordService>.Instance);

    public static TheoryData<string, string> DovecotVectors => RecordedDovecotVectors.All;

    [Theory]
    [MemberData(nameof(DovecotVectors))]
    public void Dovecot_hash_verifies_with_the_right_password(string scheme, string stored)
    {
        var check = Service().Verify(RecordedDovecotVectors.Password, stored);

        Assert.True(check.Succeeded, $"{scheme}: {check.FailureReason}");
    }

    [Theory]
    [MemberData(nameof(DovecotVectors))]
    public void Dovecot_hash_fails_with_a_wrong_password(string scheme, string stored)
    {
        var check = Service().Verify("passwörd", stored);

        Assert.False(check.Succeeded, scheme);
        Assert.Equal("password mismatch", check.FailureReason);
    }

    [Theory]
    [MemberData(nameof(DovecotVectors))]
    public void Dovecot_hash_verifies_without_its_scheme_prefix_when_the_value_names_its_algorithm(string scheme, string stored)
    {
        var bare = stored[(stored.IndexOf('}', StringComparison.Ordinal) + 1)..];
        if (!bare.StartsWith('$'))
        {
            // PLAIN-MD5 and PLAIN name no algorithm: they need the default scheme (see below).
            Assert.Contains(scheme, new[] { "PLAIN-MD5", "PLAIN" });
            return;
        }

        Assert.True(Service().Verify(RecordedDovecotVectors.Password, bare).Succeeded, scheme);
        Assert.False(Service().Verify("wrong", bare).Succeeded, scheme);
    }

    [Fact]
    public void Bare_md5_crypt_as_postfixadmin_stores_it_verifies()
    {
        // PostfixAdmin's md5crypt writes the hash with no {SCHEME} prefix.
        var check = Service().Verify(RecordedDovecotVectors.Password, "$1$l9.a4CGZ$/Obz6SWBvXYo49aEvB/vk0");

        Assert.True(check.Succeeded, check.FailureReason);
    }

    [Fact]
    public void Bare_value_uses_the_configured_default_scheme()
    {
        var plainMd5Default = Service(defaultScheme: "PLAIN-MD5");

        Assert.True(plainMd5Default.Verify(RecordedDovecotVectors.Password, "12841e4ba5e37d2fbfc78458c6714ade").Succeeded);
        Assert.False(Service().Verify(RecordedDovecotVectors.Password, "12841e4ba5e37d2fbfc78458c6714ade").Succeeded);
    }

    [Theory]
    [InlineData("{PLAIN-MD5.b64}EoQeS6XjfS+/x4RYxnFK3g==")]
    [InlineData("{PLAIN-MD5.HEX}12841E4BA5E37D2FBFC78458C6714ADE")]
    [InlineData("{LDAP-MD5}EoQeS6XjfS+/x4RYxnFK3g==")]
    [InlineData("{PLAIN.b64}cMOkc3N3w7ZyZA==")]
    [InlineData("{CLEARTEXT}pässwörd")]
    [InlineData("{MD5}$1$l9.a4CGZ$/Obz6SWBvXYo49aEvB/vk0")]
    public void Encoding_suffixes_and_scheme_aliases_are_understood(string stored)
    {
        var check = Service().Verify(RecordedDovecotVectors.Password, stored);

        Assert.True(check.Succeeded, check.FailureReason);
    }

    [Theory]
    [InlineData("{NOPE}abc", "unknown password scheme 'NOPE'")]
    [InlineData("{MD5-CRYPT", "unterminated")]
    [InlineData("{SHA512-CRYPT}$6$rounds=x$abc", "malformed SHA512-CRYPT hash")]
    [InlineData("{BLF-CRYPT}$2y$05$short", "malformed BLF-CRYPT hash")]
    [InlineData("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$!!!$!!!", "bad base64")]
    [InlineData("{ARGON2ID}$argon2id$v=19$m=99999999,t=3,p=1$U9+cER7TateoCUssaOZF7w$JVQgu7LNMuxQdw28mvP2kGr8yaAoSXb7pWZZFjZp72k", "out of range")]
    [InlineData("{ARGON2I}$argon2i$v=16$m=32768,t=4,p=1$YTIgbH+KZmEgR/md0bMpRA$8XwAg7BgmHjR5TnyMGS/kpICxYvpwlXaLQLLNYMvGks", "version")]
    [InlineData("{ARGON2ID}$argon2id$v=19$m=8,t=1,p=3$U9+cER7TateoCUssaOZF7w$JVQgu7LNMuxQdw28mvP2kGr8yaAoSXb7pWZZFjZp72k", "8 KiB per lane")]
    [InlineData("{PLAIN-MD5}zz", "malformed PLAIN-MD5")]
    [InlineData("$9$unknown", "unrecognised")]
    [InlineData("notahash", "does not start with $1$")]
    [InlineData("", "no password is stored")]
    public void Malformed_or_unknown_stored_values_fail_with_a_reason_and_never_throw(string stored, string reason)
    {
        var check = Service().Verify(RecordedDovecotVectors.Password, stored);

        Assert.False(check.Succeeded);
        Assert.Contains(reason, check.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("pa\0ss")]
    public void Empty_or_nul_passwords_fail(string? password)
    {
        Assert.False(Service().Verify(password, "{PLAIN}").Succeeded);
        Assert.False(Service().Verify(password, "$1$l9.a4CGZ$/Obz6SWBvXYo49aEvB/vk0").Succeeded);
    }

    [Theory]
    [InlineData("BLF-CRYPT", "{BLF-CRYPT}$2y$10$")]
    [InlineData("ARGON2ID", "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$")]
    [InlineData("ARGON2I", "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$")]
    [InlineData("SHA512-CRYPT", "{SHA512-CRYPT}$6$")]
    [InlineData("SHA256-CRYPT", "{SHA256-CRYPT}$5$")]
    [InlineData("MD5-CRYPT", "$1$")]
    public void New_hashes_use_the_configured_scheme_and_verify(string scheme, string prefix)
    {
        var service = Service(newScheme: scheme);

        var hash = service.Hash("correct horse");

        Assert.StartsWith(prefix, hash, StringComparison.Ordinal);
        Assert.True(service.Verify("correct horse", hash).Succeeded);
        Assert.False(service.Verify("correct horsE", hash).Succeeded);
        Assert.NotEqual(hash, service.Hash("correct horse"));
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("PLAIN-MD5")]
    [InlineData("NOPE")]
    public void Weak_or_unknown_schemes_are_refused_for_new_passwords(string scheme)
    {
        var error = Assert.Throws<ArgumentException>(() => Service(newScheme: scheme));

        Assert.Contains("Mail:Directory:NewPasswordScheme", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_default_scheme_is_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentException>(() => Service(defaultScheme: "NOPE"));

        Assert.Contains("Mail:Directory:DefaultPasswordScheme", error.Message, StringComparison.Ordinal);
    }
}
