using MailKit;
using MailKit.Net.Imap;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>BINARY (RFC 3516): parts served decoded, their decoded sizes, literal8 both ways, and an encoding it cannot undo.</summary>
public sealed class ImapBinaryTests : IAsyncLifetime
{
    private const string Message =
        "Subject: binary\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 soft=\r\nbreak\r\n" +
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n" +
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n`\r\nend\r\n" +
        "--b--\r\n";

    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Parts_come_decoded_with_their_decoded_sizes_and_literal8_only_where_a_nul_needs_it()
    {
        using (var client = await MailKitImap.LoggedInAsync(_server, "user1"))
        {
            Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Binary));
        }

        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user1");
        await wire.SendAsync($"a APPEND INBOX ~{{{Message.Length}+}}\r\n{Message}\r\n");
        Assert.StartsWith("a OK [APPENDUID", (await wire.ReadUntilTaggedAsync("a"))[^1], StringComparison.Ordinal);
        Assert.StartsWith("s OK", await wire.ResultAsync("s SELECT INBOX"), StringComparison.Ordinal);

        var text = await wire.CommandAsync("b FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY.SIZE[2])");
        Assert.Equal("* 1 FETCH (BINARY[1] {15}", text[0]);
        Assert.Equal("café softbreak BINARY.SIZE[1] 15 BINARY.SIZE[2] 4)", text[1]);

        var octets = await wire.CommandAsync("c FETCH 1 (BINARY.PEEK[2]<0.2> BINARY.PEEK[2]<2.2>)");
        Assert.Equal("* 1 FETCH (BINARY[2]<0> ~{2}", octets[0]);
        Assert.Equal("\0\u0001 BINARY[2]<2> {2}", octets[1]);
        Assert.Equal("c OK Fetch completed.", octets[^1]);

        Assert.Equal("d NO [UNKNOWN-CTE] A part's Content-Transfer-Encoding is not one BINARY can decode.", await wire.ResultAsync("d FETCH 1 BINARY.PEEK[3]"));
        Assert.StartsWith("e BAD", await wire.ResultAsync("e FETCH 1 BINARY.PEEK[1.MIME]"), StringComparison.Ordinal);
        Assert.StartsWith("f BAD", await wire.ResultAsync("f FETCH 1 BINARY.SIZE[1]<0.1>"), StringComparison.Ordinal);
        Assert.Equal("* 1 FETCH (FLAGS (\\Recent))", (await wire.CommandAsync("g FETCH 1 FLAGS"))[0]);
        Assert.Contains("\\Seen", (await wire.CommandAsync("h FETCH 1 BINARY[1]"))[^2], StringComparison.Ordinal);
    }
}
