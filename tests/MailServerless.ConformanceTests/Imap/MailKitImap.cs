using MailKit.Net.Imap;
using MailKit.Security;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>MailKit's IMAP client on the implicit-TLS port, logged in as a test user (the test certificate is self-signed).</summary>
internal static class MailKitImap
{
    public static async Task<ImapClient> LoggedInAsync(MailServerInstance server, string user)
    {
        var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", server.Imaps, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync($"{user}@example.jp", MailServerInstance.Password);
        return client;
    }
}
