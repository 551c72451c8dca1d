using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.UnitTests.Smtp;

/// <summary>
/// The ALPN protocols of a real ClientHello (.NET's own client's, over a socket), read without taking the bytes away;
/// anything that is not a ClientHello, or is cut short, gives none and never throws.
/// </summary>
public sealed class TlsClientHelloTests
{
    [Theory]
    [InlineData("acme-tls/1")]
    [InlineData("h2,http/1.1")]
    [InlineData("")]
    public async Task The_protocols_a_client_offers_are_read_and_the_hello_is_left_for_the_handshake(string list)
    {
        var offered = list.Split(',', StringSplitOptions.RemoveEmptyEntries);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(client.GetStream());
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "mail.example.test",
            ApplicationProtocols = offered.Select(p => new SslApplicationProtocol(p)).ToList(),
        });

        var input = PipeReader.Create(server.GetStream());
        var protocols = await TlsClientHello.PeekAlpnAsync(input, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);

        Assert.Equal(offered, protocols);
        // Nothing was taken: the next read starts with the same record (a TLS handshake record).
        var again = await input.ReadAsync();
        Assert.Equal(22, again.Buffer.FirstSpan[0]);
        input.AdvanceTo(again.Buffer.Start);
        client.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 22, 3, 1, 0, 5, 1, 0, 0, 1 })]
    [InlineData(new byte[] { 71, 69, 84, 32, 47, 32, 72, 84, 84, 80 })]
    public void What_is_not_a_whole_client_hello_offers_nothing(byte[] bytes) => Assert.Empty(TlsClientHello.Parse(bytes));

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(8737);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (bytes.Length > 5)
            {
                (bytes[0], bytes[1], bytes[5]) = (22, 3, 1);
            }

            _ = TlsClientHello.Parse(bytes);
        }
    }
}
