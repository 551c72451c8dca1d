using System.Net.Sockets;
using System.Text;
using MailServerless.Core.Addresses;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Delivery;

/// <summary>
/// Our Sender Rewriting Scheme against postsrsd's (Debian's, the one Postfix sites run), with one secret and
/// one domain: the same senders rewritten alike (SRS0, and SRS1 for another forwarder's SRS0), each side
/// reverses what the other wrote, and both refuse a forged hash. No difference is allowed.
/// </summary>
public sealed class PostsrsdDifferentialTests : IAsyncLifetime
{
    private const string Secret = "differential-secret";
    private const string Domain = "srs.example.jp";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "msl-postsrsd-" + Guid.NewGuid().ToString("N"));
    private readonly int[] _ports = EdgeServerProcess.FreePorts(2);
    private System.Diagnostics.Process? _postsrsd;

    public static TheoryData<string> Senders => new()
    {
        "alice@remote.example", "Mixed.Case@Example.COM", "user+tag@sub.example.org", "a=b@x.example", "o'brien@ie.example",
        "first.last-2026@mail.example.net",
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        var secretFile = Path.Combine(_folder, "secret");
        await File.WriteAllTextAsync(secretFile, Secret + "\n");
        _postsrsd = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/sbin/postsrsd",
            ["-s", secretFile, "-d", Domain, "-f", _ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-r", _ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture), "-4", "-l", "127.0.0.1", "-u", "nobody", "-c", _folder])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        for (var i = 0; i < 100 && !await ListensAsync(_ports[0]); i++)
        {
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        _postsrsd?.Kill(entireProcessTree: true);
        if (_postsrsd is not null)
        {
            await _postsrsd.WaitForExitAsync();
        }

        _postsrsd?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>One Postfix tcp_table lookup: <c>get address</c>, answered <c>200 result</c> or <c>500 reason</c>.</summary>
    private static async Task<string> LookupAsync(int port, string address)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"get {address}\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync() ?? "(closed)";
    }

    private static SenderRewriting Ours => new(Encoding.UTF8.GetBytes(Secret), Domain, TimeProvider.System);

    [Theory]
    [MemberData(nameof(Senders))]
    public async Task Both_rewrite_a_sender_alike_and_reverse_each_others_addresses(string sender)
    {
        var theirs = await LookupAsync(_ports[0], sender);
        var ours = Ours.Forward(sender);

        Assert.Equal($"200 {ours}", theirs);
        Assert.Equal($"200 {sender}", await LookupAsync(_ports[1], ours));
        Assert.Equal(sender, Ours.Reverse(theirs[4..]));
    }

    [Fact]
    public async Task Both_refuse_an_address_with_a_wrong_hash()
    {
        var forged = "SRS0=AAAA=" + Ours.Forward("alice@remote.example").Split('=', 3)[2];

        Assert.StartsWith("500", await LookupAsync(_ports[1], forged), StringComparison.Ordinal);
        Assert.Null(Ours.Reverse(forged));
    }

    [Fact]
    public async Task Another_forwarders_SRS0_becomes_the_same_SRS1_on_both()
    {
        var foreign = new SenderRewriting(Encoding.UTF8.GetBytes("theirs"), "fwd.example", TimeProvider.System).Forward("alice@remote.example");
        var ours = Ours.Forward(foreign);

        Assert.StartsWith("SRS1=", ours, StringComparison.Ordinal);
        Assert.Equal($"200 {ours}", await LookupAsync(_ports[0], foreign));
        Assert.Equal($"200 {foreign}", await LookupAsync(_ports[1], ours));
        Assert.Equal(foreign, Ours.Reverse(ours));
    }
}
