using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>How reading the DATA section ended.</summary>
public enum DataOutcome
{
    /// <summary>Ended by CRLF.CRLF and within the size limit.</summary>
    Complete,

    /// <summary>Ended properly but larger than the limit: nothing may be queued.</summary>
    TooBig,

    /// <summary>A bare LF or bare CR: the end of data cannot be trusted (SMTP smuggling); close the connection.</summary>
    BareLineEnd,

    /// <summary>The client went away.</summary>
    Closed,

    /// <summary>The client sent too slowly for the deadline.</summary>
    TimedOut,

    /// <summary>Ended properly, but the header section or one of its lines is over its limit: nothing may be queued.</summary>
    HeaderTooBig,
}


/// <summary>
/// Reads the DATA section (RFC 5321 §4.1.1.4) from the connection and writes the message to
/// <paramref name="output"/> as it arrives, never holding it whole: dot-unstuffing (§4.5.2), the
/// end only at CRLF.CRLF, a bare LF or CR refused as Postfix's <c>smtpd_forbid_bare_newline</c>
/// does, the size counted as it streams, and the headers Postfix's cleanup drops
/// (<c>message_drop_headers</c>: Bcc, Resent-Bcc, Content-Length, Return-Path) left out. The header
/// section is kept aside (up to its limit) so that the session can check From: and Sender:. BDAT's chunks
/// (RFC 3030) go through <see cref="WriteChunkAsync"/> instead: the same header rules and line-end checks, without
/// dot-stuffing or an end marker, and with any octet allowed in a BINARYMIME body.
/// </summary>
public sealed class DataReader(PipeReader input, PipeWriter output, long maxSize, HeaderLimits limits, Action? acknowledge = null)
{
    private static readonly string[] DroppedHeaders = ["bcc", "resent-bcc", "content-length", "return-path"];

    private readonly List<byte> _headerName = new(64);
    private bool _storeGone;
    private bool _atLineStart = true;
    private bool _afterDot;
    private bool _pendingCr;
    private bool _inHeaders = true;
    private bool _decidingHeader;
    private bool _droppingHeader;
    private byte[] _header = new byte[4096];
    private int _headerLength;
    private long _headerBytes;
    private long _lineLength;
    private bool _headerTooBig;
    private bool _bareLineEnd;

    /// <summary>BODY=BINARYMIME (RFC 3030 §3): after the header section every octet is content, CR and LF included.</summary>
    public bool BinaryBody { get; init; }

    /// <summary>Bytes of the message as written (CRLF line ends, after unstuffing).</summary>
    public long Size { get; private set; }

    /// <summary>The header section as written (without the empty line), when it was within its limits.</summary>
    public ReadOnlyMemory<byte> Header => _header.AsMemory(0, _headerLength);

    /// <param name="deadline">Bounds the whole transfer, not just each read, so that a trickle cannot hold the connection.</param>
    public async Task<DataOutcome> ReadAsync(Protocol.TransferDeadline deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadline);
        var first = true;
        while (true)
        {
            ReadResult result;
            if (!first)
            {
                // Read on without answering: the client's next small write must not wait for a delayed ACK.
                acknowledge?.Invoke();
            }

            first = false;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var wait = deadline.NextWait;
                if (wait <= TimeSpan.Zero)
                {
                    return DataOutcome.TimedOut;
                }

                idle.CancelAfter(wait);
                try
                {
                    result = await input.ReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return DataOutcome.TimedOut;
                }
                catch (OperationCanceledException)
                {
                    return DataOutcome.Closed;
                }
                catch (IOException)
                {
                    return DataOutcome.Closed;
                }
            }

            var buffer = result.Buffer;
            var (consumed, outcome) = Process(buffer);
            if (Size <= maxSize)
            {
                // Past the size limit nothing is kept, and nothing earns more time either.
                deadline.Credit(buffer.Slice(0, consumed).Length);
            }
            input.AdvanceTo(consumed, buffer.End);
            if (outcome is { } done)
            {
                return done != DataOutcome.Complete ? done
                    : Size > maxSize ? DataOutcome.TooBig
                    : _headerTooBig ? DataOutcome.HeaderTooBig
                    : done;
            }

            await FlushToStoreAsync(cancellationToken);
            if (result.IsCompleted)
            {
                return DataOutcome.Closed;
            }
        }
    }

    /// <summary>One piece of a BDAT chunk, written on to the store as it comes.</summary>
    public async ValueTask WriteChunkAsync(ReadOnlyMemory<byte> octets, CancellationToken cancellationToken)
    {
        ProcessChunk(octets.Span);
        await FlushToStoreAsync(cancellationToken);
    }

    /// <summary>What the chunks so far make of the message: null while it may still be taken, else why not.</summary>
    public DataOutcome? ChunkFailure =>
        _bareLineEnd ? DataOutcome.BareLineEnd : Size > maxSize ? DataOutcome.TooBig : _headerTooBig ? DataOutcome.HeaderTooBig : null;

    /// <summary>
    /// After BDAT LAST: a last line without its CRLF gets one (as Postfix's cleanup ends the message), but a CR left
    /// alone at the very end is a bare CR; a BINARYMIME body is left as it came.
    /// </summary>
    public DataOutcome FinishChunks()
    {
        var binary = BinaryBody && !_inHeaders;
        if (_pendingCr && !binary)
        {
            _bareLineEnd = true;
        }
        else if (!_atLineStart && !binary && ChunkFailure is null)
        {
            EndLine();
        }

        return ChunkFailure ?? DataOutcome.Complete;
    }

    private async ValueTask FlushToStoreAsync(CancellationToken cancellationToken)
    {
        if (Size > maxSize || _storeGone)
        {
            return;
        }

        // The store stopped reading (it failed): keep reading to the end of the data, keep nothing.
        // A store that failed makes the flush throw its error rather than report completion.
        try
        {
            _storeGone = (await output.FlushAsync(cancellationToken)).IsCompleted;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever the store failed with (a disk, S3): the message is not kept.
            _storeGone = true;
        }
    }

    /// <summary>Chunk octets: CRLF ends a line, a bare CR or LF refuses the message (as in DATA) except in a BINARYMIME body.</summary>
    private void ProcessChunk(ReadOnlySpan<byte> span)
    {
        var i = 0;
        while (i < span.Length && !_bareLineEnd)
        {
            if (BinaryBody && !_inHeaders && !_pendingCr)
            {
                EmitRun(span[i..]);
                return;
            }

            if (!_atLineStart && !_pendingCr && !_decidingHeader)
            {
                var rest = span[i..];
                var stop = rest.IndexOfAny((byte)'\r', (byte)'\n');
                var run = stop < 0 ? rest.Length : stop;
                if (run > 0)
                {
                    if (!_droppingHeader)
                    {
                        EmitRun(rest[..run]);
                    }

                    i += run;
                    continue;
                }
            }

            var b = span[i++];
            switch (LineEnds(b))
            {
                case LineByte.Bare:
                    _bareLineEnd = true;
                    return;
                case LineByte.LineEnd:
                    EndLine();
                    break;
                case LineByte.Text:
                    StartOrContinueLine(b);
                    break;
            }
        }
    }

    /// <summary>What an octet is to the line structure, DATA's and BDAT's alike.</summary>
    private enum LineByte
    {
        /// <summary>Part of a line.</summary>
        Text,

        /// <summary>A CR, held until the next octet says whether it ends the line.</summary>
        HeldCr,

        /// <summary>The LF of a CRLF: the line has ended.</summary>
        LineEnd,

        /// <summary>A LF without a CR, or a CR without a LF: refused (SMTP smuggling).</summary>
        Bare,
    }

    private LineByte LineEnds(byte b)
    {
        if (_pendingCr)
        {
            _pendingCr = false;
            return b == '\n' ? LineByte.LineEnd : LineByte.Bare;
        }

        switch (b)
        {
            case (byte)'\r':
                _pendingCr = true;
                return LineByte.HeldCr;
            case (byte)'\n':
                return LineByte.Bare;
            default:
                return LineByte.Text;
        }
    }

    private (SequencePosition Consumed, DataOutcome? Outcome) Process(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!reader.End)
        {
            // Inside a line the bytes up to the next CR or LF need no decision: copy them in one go.
            if (!_atLineStart && !_pendingCr && !_afterDot && !_decidingHeader)
            {
                var span = reader.UnreadSpan;
                var stop = span.IndexOfAny((byte)'\r', (byte)'\n');
                var run = stop < 0 ? span.Length : stop;
                if (run > 0)
                {
                    if (!_droppingHeader)
                    {
                        EmitRun(span[..run]);
                    }

                    reader.Advance(run);
                    continue;
                }
            }

            reader.TryRead(out var b);
            switch (LineEnds(b))
            {
                case LineByte.Bare:
                    return (reader.Position, DataOutcome.BareLineEnd);
                case LineByte.LineEnd when _afterDot:
                    // CRLF "." CRLF: the end of the data.
                    return (reader.Position, DataOutcome.Complete);
                case LineByte.LineEnd:
                    EndLine();
                    continue;
                case LineByte.HeldCr:
                    continue;
            }

            if (_atLineStart && !_afterDot && b == '.')
            {
                // A leading dot is either the end marker or stuffing (removed).
                _afterDot = true;
                continue;
            }

            if (_afterDot)
            {
                _afterDot = false;
            }

            StartOrContinueLine(b);
        }

        return (reader.Position, null);
    }

    private void StartOrContinueLine(byte b)
    {
        if (_atLineStart)
        {
            _atLineStart = false;
            if (_inHeaders)
            {
                if (b is (byte)' ' or (byte)'\t')
                {
                    // A continuation line belongs to the header before it.
                    if (!_droppingHeader)
                    {
                        Emit(b);
                    }

                    return;
                }

                _droppingHeader = false;
                _decidingHeader = true;
                _headerName.Clear();
            }
        }

        if (_decidingHeader)
        {
            _headerName.Add(b);
            if (b == ':' || _headerName.Count >= 64)
            {
                DecideHeader();
            }

            return;
        }

        if (!_droppingHeader)
        {
            Emit(b);
        }
    }

    private void DecideHeader()
    {
        _decidingHeader = false;
        var name = Encoding.ASCII.GetString(_headerName.ToArray()).TrimEnd(':').Trim().ToLowerInvariant();
        _droppingHeader = _headerName[^1] == ':' && DroppedHeaders.Contains(name);
        if (!_droppingHeader)
        {
            foreach (var c in _headerName)
            {
                Emit(c);
            }
        }
    }

    private void EndLine()
    {
        if (_decidingHeader)
        {
            DecideHeader();
        }

        if (_atLineStart && _inHeaders)
        {
            // The empty line: the body starts.
            _inHeaders = false;
            _droppingHeader = false;
        }

        if (!(_inHeaders && _droppingHeader))
        {
            Emit((byte)'\r');
            Emit((byte)'\n');
        }

        _lineLength = 0;
        _atLineStart = true;
    }

    private void EmitRun(ReadOnlySpan<byte> bytes)
    {
        if (_inHeaders)
        {
            KeepHeader(bytes);
        }

        var room = maxSize - Size;
        Size += bytes.Length;
        if (room > 0 && !_storeGone)
        {
            var take = (int)Math.Min(room, bytes.Length);
            bytes[..take].CopyTo(output.GetSpan(take));
            output.Advance(take);
        }
    }

    private void Emit(byte b)
    {
        if (_inHeaders)
        {
            KeepHeader([b]);
        }

        Size++;
        if (Size <= maxSize && !_storeGone)
        {
            output.GetSpan(1)[0] = b;
            output.Advance(1);
        }
    }

    /// <summary>Counts header octets and line lengths (CRLF excluded), and keeps the section while it is within the limits.</summary>
    private void KeepHeader(ReadOnlySpan<byte> bytes)
    {
        _headerBytes += bytes.Length;
        var text = bytes is [(byte)'\r' or (byte)'\n'] ? 0 : bytes.Length;
        _lineLength += text;
        if (_headerBytes > limits.MaxHeaderBytes || _lineLength > limits.MaxHeaderLine)
        {
            _headerTooBig = true;
        }

        if (_headerTooBig)
        {
            _headerLength = 0;
            return;
        }

        if (_headerLength + bytes.Length > _header.Length)
        {
            Array.Resize(ref _header, Math.Max(_header.Length * 2, _headerLength + bytes.Length));
        }

        bytes.CopyTo(_header.AsSpan(_headerLength));
        _headerLength += bytes.Length;
    }
}
