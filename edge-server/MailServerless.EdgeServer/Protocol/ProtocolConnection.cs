using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>What reading one command line gave.</summary>
public enum LineStatus
{
    Line,

    /// <summary>Longer than the limit: the whole line was read and dropped (its first bytes are returned).</summary>
    TooLong,

    /// <summary>The client closed its side.</summary>
    Closed,

    /// <summary>Nothing arrived within the idle timeout.</summary>
    Timeout,
}

/// <summary>
/// One client connection, shared by SMTP, IMAP and POP3: bounded line reading, buffered replies
/// (flushed when the client has nothing more pipelined), and the switch to TLS — implicit at
/// connect or by STARTTLS, after which whatever plaintext was buffered is discarded
/// (RFC 3207 §4.2, CVE-2011-0411).
/// </summary>
public sealed class ProtocolConnection : IAsyncDisposable
{
    private readonly ConnectionContext _context;
    private readonly System.Net.Sockets.Socket? _socket;
    private SslStream? _tls;
    private DeflateStream? _inflate;
    private DeflateStream? _deflate;

    /// <summary>Input was read since the last reply went out: its ACK is owed (see <see cref="AcknowledgeNow"/>).</summary>
    private bool _unanswered;

    public ProtocolConnection(ConnectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        Input = context.Transport.Input;
        Output = context.Transport.Output;
        var remote = (context.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        RemoteAddress = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        LocalPort = (context.LocalEndPoint as IPEndPoint)?.Port ?? 0;
        _socket = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket;
    }

    /// <summary>
    /// Acknowledges at once what the client sent (Linux's TCP_QUICKACK), for when the server reads on without
    /// answering: a literal after LITERAL+, the rest of a command line after it, a message body. Else the kernel
    /// delays its ACK up to 40 ms, and a client with Nagle's algorithm on holds its next small write until then.
    /// </summary>
    public void AcknowledgeNow()
    {
        _unanswered = false;
        if (_socket is null || !OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // IPPROTO_TCP (6), TCP_QUICKACK (12): sends the pending ACK now (tcp(7)).
            _socket.SetRawSocketOption(6, 12, [1, 0, 0, 0]);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The connection is going away.
        }
    }

    /// <summary>Before waiting for input: the ACK owed for what was read, when nothing else will carry it.</summary>
    private void AcknowledgeBeforeWaiting()
    {
        if (_unanswered && !HasBufferedInput())
        {
            AcknowledgeNow();
        }
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public IPAddress RemoteAddress { get; }

    public int LocalPort { get; }

    public string ConnectionId => _context.ConnectionId;

    /// <summary>Cancelled when the client has gone (the transport saw the connection end).</summary>
    public CancellationToken Closed => _context.ConnectionClosed;

    public bool IsTls => _tls is not null;

    /// <summary>"TLSv1.3 with cipher TLS_AES_256_GCM_SHA384", as Postfix writes it in Received:.</summary>
    public string? TlsDescription =>
        _tls is null ? null : $"{ProtocolName(_tls.SslProtocol)} with cipher {_tls.NegotiatedCipherSuite}";

    /// <summary>Queues a reply line (CRLF added); sent by <see cref="FlushAsync"/>.</summary>
    public void Write(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        Output.Write(bytes);
    }

    /// <summary>Queues text as it is (no CRLF added): a part of a longer response.</summary>
    public void WriteText(string text) => Output.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Queues octets as they are (an IMAP literal's content).</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes) => Output.Write(bytes);

    /// <summary>Octets queued and not sent yet: a long response flushes on the way instead of piling up.</summary>
    public long UnflushedBytes => Output.CanGetUnflushedBytes ? Output.UnflushedBytes : 0;

    /// <summary>A client that stops reading (a zero window) is given up after this, not waited for forever.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Octets per second a client must read on average: a flush gets 30 s plus a second per this many octets
    /// queued (at most <see cref="WriteTimeout"/>), so a client reading a little now and then cannot hold a
    /// connection and its buffers (the write side of slowloris).
    /// </summary>
    public const int MinReadRate = 500;

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var allowed = TimeSpan.FromSeconds(30 + ((double)UnflushedBytes / MinReadRate));
        timeout.CancelAfter(allowed < WriteTimeout ? allowed : WriteTimeout);
        if (UnflushedBytes > 0)
        {
            _unanswered = false; // the reply carries the ACK
        }

        await Output.FlushAsync(timeout.Token);
    }

    /// <summary>
    /// Reads one CRLF-terminated line (a bare LF also ends it), at most <paramref name="maxLength"/> bytes.
    /// A longer line is read to its end and dropped; its first bytes come back with <see cref="LineStatus.TooLong"/>
    /// (so that IMAP can still answer with the command's tag).
    /// </summary>
    public async Task<(LineStatus Status, byte[] Line)> ReadLineAsync(int maxLength, TimeSpan timeout, CancellationToken cancellationToken)
    {
        const int PrefixLength = 64;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(timeout);
        byte[]? prefix = null;
        var partial = false;
        while (true)
        {
            ReadResult result;
            if (partial)
            {
                AcknowledgeNow(); // half a line is here; the client may hold the rest until it is acknowledged
            }
            else
            {
                AcknowledgeBeforeWaiting();
            }

            partial = true;
            try
            {
                result = await Input.ReadAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (LineStatus.Timeout, []);
            }
            catch (Exception e) when (e is IOException or ConnectionResetException or AuthenticationException)
            {
                return (LineStatus.Closed, []);
            }

            var buffer = result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is { } end)
            {
                var line = buffer.Slice(0, end);
                var tooLong = prefix is not null || line.Length > maxLength;
                var bytes = tooLong ? prefix ?? line.Slice(0, Math.Min(PrefixLength, line.Length)).ToArray() : line.ToArray();
                Input.AdvanceTo(buffer.GetPosition(1, end));
                _unanswered = true;
                if (tooLong)
                {
                    return (LineStatus.TooLong, bytes);
                }

                return (LineStatus.Line, bytes.Length > 0 && bytes[^1] == '\r' ? bytes[..^1] : bytes);
            }

            if (buffer.Length > maxLength)
            {
                // Keep reading to the end of the over-long line without holding it.
                prefix ??= buffer.Slice(0, Math.Min(PrefixLength, buffer.Length)).ToArray();
                Input.AdvanceTo(buffer.End);
            }
            else
            {
                Input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted)
            {
                return (LineStatus.Closed, []);
            }
        }
    }

    /// <summary>
    /// Reads exactly <paramref name="count"/> octets into <paramref name="destination"/> (an IMAP literal);
    /// false when the client closed, or did not send them within the <paramref name="deadline"/>.
    /// </summary>
    public async Task<bool> ReadExactAsync(long count, Stream destination, TransferDeadline deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(deadline);
        var remaining = count;
        while (remaining > 0)
        {
            var wait = deadline.NextWait;
            if (wait <= TimeSpan.Zero)
            {
                return false;
            }

            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(wait);
            ReadResult result;
            if (remaining < count)
            {
                AcknowledgeNow(); // part of it is here; the client may hold the rest until it is acknowledged
            }
            else
            {
                AcknowledgeBeforeWaiting();
            }

            try
            {
                result = await Input.ReadAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (e is IOException or ConnectionResetException or AuthenticationException)
            {
                return false;
            }

            var buffer = result.Buffer;
            var take = buffer.Slice(0, Math.Min(remaining, buffer.Length));
            foreach (var segment in take)
            {
                await destination.WriteAsync(segment, cancellationToken);
            }

            remaining -= take.Length;
            deadline.Credit(take.Length);
            Input.AdvanceTo(take.End);
            _unanswered |= take.Length > 0;
            if (remaining > 0 && result.IsCompleted)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The next command line of a conversation: replies queued so far are sent first unless the
    /// client has already pipelined more commands (RFC 2920 §3.1: answer in groups).
    /// </summary>
    public async Task<(LineStatus Status, byte[] Line)> ReadCommandAsync(int maxLength, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Replies wait for the client's pipelined commands, but never pile up: past 16 KiB they go out.
        if (!HasBufferedInput() || Output.UnflushedBytes > 16 * 1024)
        {
            await FlushAsync(cancellationToken);
        }

        return await ReadLineAsync(maxLength, timeout, cancellationToken);
    }

    /// <summary>
    /// A command line as text; false for invalid UTF-8 or a control character other than TAB (a NUL,
    /// or a bare CR that would end up in a header such as Received:), answered as a syntax error.
    /// </summary>
    public static bool TryDecodeCommand(byte[] bytes, out string line)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        line = string.Empty;
        if (bytes.Any(b => (b < 0x20 && b != (byte)'\t') || b == 0x7f))
        {
            return false;
        }

        try
        {
            line = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>True when the client has sent more than what was read so far (pipelining).</summary>
    public bool HasBufferedInput()
    {
        if (!Input.TryRead(out var result))
        {
            return false;
        }

        var buffered = result.Buffer.Length > 0;
        Input.AdvanceTo(result.Buffer.Start);
        return buffered;
    }

    /// <summary>Drops whatever the client sent ahead (plaintext after STARTTLS must not survive into TLS).</summary>
    public int DiscardBufferedInput()
    {
        if (!Input.TryRead(out var result))
        {
            return 0;
        }

        var length = (int)result.Buffer.Length;
        Input.AdvanceTo(result.Buffer.End);
        return length;
    }

    /// <summary>TLS 1.2 or 1.3 from here on; false when the handshake failed (the connection is then unusable).</summary>
    public async Task<bool> StartTlsAsync(SslStreamCertificateContext certificate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new DuplexPipeStream(Input, Output), leaveInnerStreamOpen: false);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(timeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(ServerTls.Options(certificate), handshake.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            Core.Diagnostics.MailMetrics.TlsHandshake("failed");
            await ssl.DisposeAsync();
            return false;
        }

        Core.Diagnostics.MailMetrics.TlsHandshake(ProtocolName(ssl.SslProtocol));
        _tls = ssl;
        Input = PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(ssl, new StreamPipeWriterOptions(leaveOpen: true));
        return true;
    }

    /// <summary>COMPRESS=DEFLATE (RFC 4978) is on: both directions are raw deflate streams inside TLS.</summary>
    public bool IsCompressed => _deflate is not null;

    /// <summary>
    /// From here on everything read is inflated and everything written deflated (RFC 1951, no zlib header), each flush
    /// a sync flush, so that every response reaches the client whole (RFC 4978 §4). Input the client sent already is
    /// compressed too, as the client waits for the OK before it compresses, so nothing is dropped.
    /// </summary>
    public void StartCompression()
    {
        var inner = new DuplexPipeStream(Input, Output);
        _inflate = new DeflateStream(inner, CompressionMode.Decompress, leaveOpen: true);
        _deflate = new DeflateStream(inner, CompressionLevel.Fastest, leaveOpen: true);
        Input = PipeReader.Create(_inflate, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(_deflate, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Output.FlushAsync(timeout.Token);
            if (_tls is not null)
            {
                await _tls.ShutdownAsync().WaitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or ConnectionResetException
                                       or OperationCanceledException or AuthenticationException)
        {
            // The client is gone already, or does not read.
        }
        finally
        {
            if (_deflate is not null)
            {
                await _inflate!.DisposeAsync();
                await DisposeQuietlyAsync(_deflate);
            }

            if (_tls is not null)
            {
                await _tls.DisposeAsync();
            }
        }
    }

    /// <summary>Disposing a deflater writes its last block; a client that is gone makes that fail, which changes nothing.</summary>
    private static async ValueTask DisposeQuietlyAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or ConnectionResetException or OperationCanceledException)
        {
        }
    }

    private static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };
}
