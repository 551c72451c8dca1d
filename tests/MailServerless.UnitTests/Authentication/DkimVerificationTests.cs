using MailServerless.Core.Authentication;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace MailServerless.UnitTests.Authentication;

/// <summary>DKIM verification's key rules: Ed25519 (RFC 8463) passes, RSA under 1024 bits fails (RFC 8301), a DNS failure is temperror.</summary>
public sealed class DkimVerificationTests
{
    [Fact]
    public async Task Ed25519_signature_verifies()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var record = "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(((Ed25519PublicKeyParameters)pair.Public).GetEncoded());
        var outcome = await VerifyAsync(Signed(pair.Private, DkimSignatureAlgorithm.Ed25519Sha256), record);
        Assert.Equal(AuthResult.Pass, outcome.Result);
    }

    [Fact]
    public async Task Rsa_key_under_1024_bits_fails()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), 512));
        var pair = generator.GenerateKeyPair();
        var record = "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetEncoded());
        var outcome = await VerifyAsync(Signed(pair.Private, DkimSignatureAlgorithm.RsaSha256), record);
        Assert.NotEqual(AuthResult.Pass, outcome.Result);
    }

    [Fact]
    public async Task Key_lookup_that_fails_is_a_temperror_and_a_revoked_key_a_permerror()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var message = Signed(generator.GenerateKeyPair().Private, DkimSignatureAlgorithm.Ed25519Sha256);
        Assert.Equal(AuthResult.TempError, (await VerifyAsync(message, null)).Result);
        Assert.Equal(AuthResult.PermError, (await VerifyAsync(message, "v=DKIM1; k=ed25519; p=")).Result);
    }

    private static MimeMessage Signed(AsymmetricKeyParameter key, DkimSignatureAlgorithm algorithm)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@signer.test"));
        message.To.Add(MailboxAddress.Parse("b@example.jp"));
        message.Subject = "signed";
        message.Body = new TextPart("plain") { Text = "Hello.\r\n" };
        var signer = new DkimSigner(key, "signer.test", "s1", algorithm)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject]);
        return message;
    }

    /// <param name="record">The key record at s1._domainkey.signer.test; null: the look-up fails.</param>
    private static async Task<DkimOutcome> VerifyAsync(MimeMessage message, string? record) =>
        Assert.Single(await new DkimVerification(new DnsDkimKeyLocator(new TxtTable(new() { ["s1._domainkey.signer.test"] = record }))).VerifyAsync(message, CancellationToken.None));
}
