using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>
/// Every TLS port offers TLS 1.2 and 1.3 with AEAD suites only (no CBC), and works with an ECDSA certificate
/// as with an RSA one. Checked with OpenSSL's s_client, as a scanner would.
/// </summary>
public sealed class TlsSuiteTests
{
    /// <summary>The s_client transcript of one handshake with these options; whether it reached a cipher.</summary>
    private static async Task<(bool Connected, string Transcript)> HandshakeAsync(int port, params string[] options)
    {
        var result = await ProcessRunner.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "mx.example.jp", .. options], "");
        var transcript = result.Output + result.Error;
        return (result.ExitCode == 0 && !transcript.Contains("Cipher is (NONE)", StringComparison.Ordinal), transcript);
    }

    [Theory]
    [InlineData("ECDHE-RSA-AES128-SHA")]
    [InlineData("ECDHE-RSA-AES256-SHA384")]
    [InlineData("AES128-SHA")]
    [InlineData("AES256-GCM-SHA384")] // AEAD, but no forward secrecy
    public async Task TLS_1_2_without_AEAD_or_forward_secrecy_is_refused_on_every_port(string cipher)
    {
        await using var server = await MailServerInstance.StartAsync();
        foreach (var port in new[] { server.Imaps, server.Pop3s, server.Submissions })
        {
            var (connected, transcript) = await HandshakeAsync(port, "-tls1_2", "-cipher", cipher);
            Assert.False(connected, transcript);
        }

        var (aead, accepted) = await HandshakeAsync(server.Imaps, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        Assert.True(aead, accepted);
    }

    [Theory]
    [InlineData("pkcs8")] // BEGIN PRIVATE KEY, as openssl req -newkey ec writes it
    [InlineData("sec1")] // BEGIN EC PRIVATE KEY, as openssl ecparam -genkey and certbot's older keys
    [InlineData("combined")] // the key and the certificate in one file
    public async Task An_ECDSA_certificate_serves_TLS_1_2_and_1_3(string keyFormat)
    {
        var folder = Path.Combine(Path.GetTempPath(), "msl-ecdsa-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var key = Path.Combine(folder, "key.pem");
            var cert = Path.Combine(folder, "cert.pem");
            var generated = keyFormat == "sec1"
                ? await ProcessRunner.RunAsync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
                : await ProcessRunner.RunAsync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", key]);
            Assert.True(generated.ExitCode == 0, generated.Error);
            var made = await ProcessRunner.RunAsync("openssl", ["req", "-x509", "-key", key, "-out", cert, "-days", "30",
                "-subj", "/CN=mx.example.jp", "-addext", "subjectAltName=DNS:mx.example.jp"]);
            Assert.True(made.ExitCode == 0, made.Error);
            if (keyFormat == "combined")
            {
                await File.AppendAllTextAsync(cert, await File.ReadAllTextAsync(key));
            }

            string[] settings = keyFormat == "combined"
                ? [$"--Mail:Tls:CertificatePath={cert}"]
                : [$"--Mail:Tls:CertificatePath={cert}", $"--Mail:Tls:KeyPath={key}"];
            await using var server = await MailServerInstance.StartAsync(settings);

            var (tls12, transcript12) = await HandshakeAsync(server.Imaps, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
            Assert.True(tls12, transcript12);
            var (tls13, transcript13) = await HandshakeAsync(server.Submissions, "-tls1_3");
            Assert.True(tls13, transcript13);
            Assert.Contains("id-ecPublicKey", (await ProcessRunner.RunAsync("openssl", ["x509", "-in", cert, "-noout", "-text"])).Output, StringComparison.Ordinal);
            Assert.Contains("ECDSA", transcript13, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
