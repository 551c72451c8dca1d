using System.IO.Compression;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>COMPRESS=DEFLATE (RFC 4978) with MailKit, and on the wire with a raw deflate client.</summary>
public sealed class ImapCompressTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task MailKit_compresses_and_then_appends_searches_and_fetches_through_deflate()
    {
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", _server.Imaps, SecureSocketOptions.SslOnConnect);
        Assert.False(client.Capabilities.HasFlag(ImapCapabilities.Compress)); // only once logged in
        await client.AuthenticateAsync("user1@example.jp", MailServerInstance.Password);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Compress));

        await client.CompressAsync();
        var body = string.Concat(Enumerable.Repeat("compressible text ", 5000));
        await client.Inbox.AppendAsync(MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes($"Subject: squeezed\r\n\r\n{body}\r\n"))));
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var found = await client.Inbox.SearchAsync(SearchQuery.SubjectContains("squeezed"));
        var message = await client.Inbox.GetMessageAsync(Assert.Single(found));
        Assert.Equal(body.TrimEnd(), message.TextBody?.TrimEnd());
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task After_the_plain_ok_both_directions_are_raw_deflate_and_a_second_compress_is_refused()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _server.Imaps);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        var plain = new StreamReader(tls, Encoding.ASCII, false, 1, leaveOpen: true);
        await plain.ReadLineAsync(); // greeting
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"l LOGIN user2@example.jp {MailServerInstance.Password}\r\nc COMPRESS DEFLATE\r\n"));
        await tls.FlushAsync();
        Assert.StartsWith("l OK", await plain.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal("c OK DEFLATE active.", await plain.ReadLineAsync());

        await using var deflate = new DeflateStream(tls, CompressionLevel.Optimal, leaveOpen: true);
        await using var inflate = new DeflateStream(tls, CompressionMode.Decompress, leaveOpen: true);
        var reader = new StreamReader(inflate, Encoding.ASCII, false, 1, leaveOpen: true);
        await deflate.WriteAsync(Encoding.ASCII.GetBytes("n NOOP\r\nd COMPRESS DEFLATE\r\nx LOGOUT\r\n"));
        await deflate.FlushAsync();

        Assert.Equal("n OK NOOP completed.", await reader.ReadLineAsync());
        Assert.Equal("d NO [COMPRESSIONACTIVE] DEFLATE active via COMPRESS.", await reader.ReadLineAsync());
        Assert.StartsWith("* BYE", await reader.ReadLineAsync(), StringComparison.Ordinal);
        Assert.StartsWith("x OK", await reader.ReadLineAsync(), StringComparison.Ordinal);
    }
}
