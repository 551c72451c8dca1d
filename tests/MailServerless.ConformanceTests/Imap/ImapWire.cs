using MailServerless.ConformanceTests.Smtp;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>A bare IMAP client on a socket: sends lines as given and collects the answer up to the tagged line.</summary>
internal sealed class ImapWire : IAsyncDisposable
{
    private readonly SmtpWire _wire;

    private ImapWire(SmtpWire wire, string greeting)
    {
        _wire = wire;
        Greeting = greeting;
    }

    public string Greeting { get; }

    public static async Task<ImapWire> ConnectAsync(int port, bool implicitTls = false, System.Net.IPAddress? from = null)
    {
        var wire = await SmtpWire.ConnectAsync(port, implicitTls, from);
        var greeting = await ReadAsync(wire, TimeSpan.FromSeconds(15)) ?? "(closed)";
        return new ImapWire(wire, greeting);
    }

    public static async Task<ImapWire> LoggedInAsync(int imaps, string user)
    {
        var wire = await ConnectAsync(imaps, implicitTls: true);
        var login = await wire.CommandAsync($"l LOGIN {user}@example.jp {Testing.MailServerInstance.Password}");
        Assert.StartsWith("l OK", login[^1], StringComparison.Ordinal);
        return wire;
    }

    public Task StartTlsAsync() => _wire.StartTlsAsync();

    public Task SendAsync(string text) => _wire.SendAsync(text);

    public Task SendAsync(byte[] bytes) => _wire.SendAsync(bytes);

    public Task<string?> ReadLineAsync(TimeSpan? timeout = null) => ReadAsync(_wire, timeout ?? TimeSpan.FromSeconds(15));

    /// <summary>Sends one command line; returns every line up to and including the tagged one (or up to the close).</summary>
    public async Task<List<string>> CommandAsync(string line)
    {
        await _wire.SendAsync(line + "\r\n");
        return await ReadUntilTaggedAsync(line.Split(' ')[0]);
    }

    public async Task<List<string>> ReadUntilTaggedAsync(string tag)
    {
        var lines = new List<string>();
        while (await ReadLineAsync() is { } reply)
        {
            lines.Add(reply);
            if (reply.StartsWith(tag + " ", StringComparison.Ordinal) || reply == "(timeout)")
            {
                break;
            }
        }

        return lines;
    }

    /// <summary>The tagged line of a command's answer.</summary>
    public async Task<string> ResultAsync(string line) => (await CommandAsync(line)) is { Count: > 0 } lines ? lines[^1] : "(closed)";

    private static async Task<string?> ReadAsync(SmtpWire wire, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await wire.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return "(timeout)";
        }
    }

    public ValueTask DisposeAsync() => _wire.DisposeAsync();
}
