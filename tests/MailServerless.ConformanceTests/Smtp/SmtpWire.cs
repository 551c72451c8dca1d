using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>A bare SMTP client on a socket, for conversations no polite client would have.</summary>
internal sealed class SmtpWire : IAsyncDisposable
{
    private TcpClient _client = new();
    private Stream _stream = Stream.Null;
    private readonly List<byte> _pending = [];

    /// <param name="from">The loopback address to connect from (127.0.0.2, ...), to play another client.</param>
    public static async Task<SmtpWire> ConnectAsync(int port, bool implicitTls = false, IPAddress? from = null)
    {
        var wire = new SmtpWire();
        if (from is not null)
        {
            wire._client.Dispose();
            wire._client = new TcpClient(new IPEndPoint(from, 0));
        }

        await wire._client.ConnectAsync("127.0.0.1", port);
        wire._stream = wire._client.GetStream();
        if (implicitTls)
        {
            await wire.StartTlsAsync();
        }

        return wire;
    }

    public async Task StartTlsAsync()
    {
        var ssl = new SslStream(_stream, false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("mx.example.jp");
        _stream = ssl;
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads one whole reply (all its continuation lines); returns the lines, or an empty list at end of stream.</summary>
    public async Task<List<string>> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync(cts.Token);
            if (line is null)
            {
                return lines;
            }

            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return lines;
            }
        }
    }

    /// <summary>Reads the greeting and opens a transaction to its DATA; returns the reply to DATA (354 when all went well).</summary>
    public async Task<string> OpenDataAsync(string helo, string from, string to)
    {
        await ReadReplyAsync();
        await CommandAsync($"EHLO {helo}");
        await CommandAsync($"MAIL FROM:<{from}>");
        await CommandAsync($"RCPT TO:<{to}>");
        return await CommandAsync("DATA");
    }

    /// <summary>Sends a command and returns the first line of its reply.</summary>
    public async Task<string> CommandAsync(string command)
    {
        await SendAsync(command + "\r\n");
        var reply = await ReadReplyAsync();
        return reply.Count == 0 ? "(closed)" : reply[^1];
    }

    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1];
        while (true)
        {
            var newline = _pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(_pending.Take(newline).ToArray()).TrimEnd('\r');
                _pending.RemoveRange(0, newline + 1);
                return line;
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _pending.Add(buffer[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}
