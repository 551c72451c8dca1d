using System.Security.Cryptography;
using MailServerless.Testing;
using MimeKit;
using MimeKit.Cryptography;

namespace MailServerless.ConformanceTests.Authentication;

/// <summary>
/// Test domains published on a loopback dnsmasq: SPF records of each result, DKIM keys (RSA 2048 and Ed25519),
/// DMARC policies, and a zone whose server never answers; signing with the published keys.
/// </summary>
public sealed class AuthenticationZone : IAsyncDisposable
{
    private AuthenticationZone(LoopbackDns dns, RSA rsa)
    {
        Dns = dns;
        Rsa = rsa;
    }

    public LoopbackDns Dns { get; }

    public RSA Rsa { get; }

    public static async Task<AuthenticationZone> StartAsync()
    {
        var rsa = RSA.Create(2048);
        var key = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        // A TXT string holds 255 octets: the key record is split in strings, as zone files do.
        var strings = string.Join(',', ("v=DKIM1; k=rsa; p=" + key).Chunk(200).Select(c => new string(c)));
        var includes = string.Join(' ', Enumerable.Range(1, 11).Select(i => $"include:i{i}.spf-perm.test"));
        var records = new List<string>
        {
            "--txt-record=spf-pass.test,v=spf1 ip4:127.0.0.1 -all",
            "--txt-record=spf-fail.test,v=spf1 ip4:192.0.2.1 -all",
            "--txt-record=spf-soft.test,v=spf1 ~all",
            "--txt-record=spf-neutral.test,v=spf1 ?all",
            $"--txt-record=spf-perm.test,v=spf1 {includes} -all",
            "--txt-record=signed.test,v=spf1 ip4:127.0.0.1 -all",
            $"--txt-record=sel._domainkey.signed.test,{strings}",
            "--txt-record=_dmarc.signed.test,v=DMARC1; p=reject",
            "--txt-record=_dmarc.reject.test,v=DMARC1; p=reject",
            "--txt-record=_dmarc.quarantine.test,v=DMARC1; p=quarantine",
            "--txt-record=_dmarc.example.jp,v=DMARC1; p=reject",
            "--txt-record=example.com,v=spf1 ip4:127.0.0.1 -all", // example.com: the seed's alias domain of example.jp
        };
        records.AddRange(Enumerable.Range(1, 11).Select(i => $"--txt-record=i{i}.spf-perm.test,v=spf1 ?all"));
        return new AuthenticationZone(await LoopbackDns.StartAsync([.. records]), rsa);
    }

    /// <summary>Settings for a server on this zone: its resolver, quick to give up on the zone that never answers.</summary>
    public string[] Settings => [$"--Mail:Dns:Servers={Dns.Server}", "--Mail:Dns:Timeout=00:00:01", "--Mail:Dns:Retries=0"];

    /// <summary>A message from <paramref name="from"/>, signed by <c>signed.test</c> with selector <paramref name="selector"/>.</summary>
    public MimeMessage SignedMessage(string from, string to, string subject, string selector = "sel")
    {
        var message = Message(from, to, subject);
        using var pem = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(Rsa.ExportRSAPrivateKeyPem()));
        var signer = new DkimSigner(pem, "signed.test", selector, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        return message;
    }

    public static MimeMessage Message(string from, string to, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("test.example");
        message.Body = new TextPart("plain") { Text = "Hello from " + from + ".\r\n" };
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        Rsa.Dispose();
        await Dns.DisposeAsync();
    }
}
