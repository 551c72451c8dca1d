using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using MailServerless.Core.Diagnostics;
using MailServerless.Core.Queue;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>
/// CHUNKING and BINARYMIME (RFC 3030): the message comes as <c>BDAT size [LAST]</c> chunks of exactly that many octets,
/// each streamed on to the store as it arrives, like DATA; the message is checked and queued at LAST.
/// </summary>
public sealed partial class SmtpSession
{
    /// <summary>The message being received: its queue id, the pipe to the store, the store's task and the reader.</summary>
    private sealed record IncomingMessage(string Id, Pipe Body, Task<long> Stored, DataReader Reader);

    /// <summary>The message the BDAT chunks so far have begun; null outside a chunked transfer.</summary>
    private IncomingMessage? _chunks;

    /// <summary>Why a chunk refused the message: every further chunk up to LAST is read and gets the same answer.</summary>
    private string? _chunkRefusal;

    /// <summary>MAIL FROM said BODY=BINARYMIME: only BDAT may carry the message.</summary>
    private bool _binaryMime;

    /// <summary>Messages given up (RSET, a new EHLO, a chunk refused, the connection gone) whose stored part is removed.</summary>
    private Task _abandoned = Task.CompletedTask;

    private async Task ChunkAsync(string argument, CancellationToken cancellationToken)
    {
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is 0 or > 2 || !long.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ||
            (words.Length == 2 && !words[1].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
        {
            // Without its size the chunk cannot be told from the commands after it: the conversation cannot go on.
            Error("501 5.5.4 Syntax: BDAT count [LAST]");
            _quit = true;
            return;
        }

        var last = words.Length == 2;
        var deadline = new Protocol.TransferDeadline(_options.IdleTimeout, _options.MinDataRate, services.Clock);
        var refusal = _helo is null ? "503 5.5.1 Error: send HELO/EHLO first"
            : _mailFrom is null ? "503 5.5.1 Error: need MAIL command"
            : _recipients.Count == 0 ? "554 5.5.1 Error: no valid recipients"
            : _chunkRefusal;
        if (size > _options.MaxMessageSize)
        {
            // One chunk larger than any message may be: not read (a chunk of 2^63 octets would hold the connection for
            // ever), so the conversation ends here. A chunk within the limit is read, even when it takes the message past it.
            ResetTransaction();
            Error("552 5.3.4 Error: message file too big");
            _quit = true;
            return;
        }

        if (refusal is not null)
        {
            // RFC 3030 §2: a refused chunk is read all the same, so that the next command is found.
            if (!await connection.ReadExactAsync(size, Stream.Null, deadline, cancellationToken))
            {
                ChunkCutOff();
                return;
            }

            Error(refusal);
            if (last && _chunkRefusal is not null)
            {
                ResetTransaction();
            }

            return;
        }

        _chunks ??= await StartMessageAsync(cancellationToken);
        var message = _chunks;
        if (!await connection.ReadExactAsync(size, new ChunkSink(message.Reader, cancellationToken), deadline, cancellationToken))
        {
            ChunkCutOff();
            return;
        }

        var failure = last ? message.Reader.FinishChunks() : message.Reader.ChunkFailure ?? DataOutcome.Complete;
        if (failure != DataOutcome.Complete)
        {
            _chunks = null;
            Abandon(message);
            _chunkRefusal = failure switch
            {
                DataOutcome.TooBig => "552 5.3.4 Error: message file too big",
                DataOutcome.HeaderTooBig => "552 5.3.4 Error: message header size exceeds limit",
                _ => "550 5.6.0 Error: bare <CR> or <LF> received",
            };
            if (failure is DataOutcome.TooBig or DataOutcome.HeaderTooBig)
            {
                MailMetrics.Rejected("size");
            }

            Error(_chunkRefusal);
            if (last)
            {
                ResetTransaction();
            }

            return;
        }

        if (!last)
        {
            Reply($"250 2.0.0 Ok: {size.ToString(CultureInfo.InvariantCulture)} bytes");
            return;
        }

        _chunks = null;
        await AcceptAsync(message, cancellationToken);
    }

    /// <summary>The client went, or sent too slowly, inside a chunk: the message is given up and so is the conversation.</summary>
    private void ChunkCutOff()
    {
        ResetTransaction();
        Reply($"421 4.4.2 {_host} Error: timeout exceeded");
        _quit = true;
    }

    /// <summary>Opens the store for a new message and writes our Received: header to it.</summary>
    private async Task<IncomingMessage> StartMessageAsync(CancellationToken cancellationToken)
    {
        var id = SpoolNames.NewId(services.Clock);
        var body = new Pipe();
        var stored = StoreAsync(id, body.Reader, cancellationToken);
        await body.Writer.WriteAsync(Encoding.UTF8.GetBytes(ReceivedHeader(id)), cancellationToken);
        var reader = new DataReader(connection.Input, body.Writer, _options.MaxMessageSize, _options.HeaderLimits, connection.AcknowledgeNow)
        {
            BinaryBody = _binaryMime,
        };
        return new IncomingMessage(id, body, stored, reader);
    }

    /// <summary>Ends the store's write with an error (nothing of it is kept) and removes what it wrote; never throws.</summary>
    private async Task AbandonAsync(IncomingMessage message)
    {
        try
        {
            await message.Body.Writer.CompleteAsync(new OperationCanceledException("message not accepted"));
            try
            {
                await message.Stored;
            }
            catch (Exception)
            {
                // Whatever the store failed with, the partial body is not kept.
            }

            await services.Blobs.DeleteAsync(message.Id, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogQueueFailed(message.Id, "could not remove an abandoned body: " + e.Message);
        }
    }

    /// <summary>Gives a message up from where no await can be (a transaction reset); the session waits for it at its end.</summary>
    private void Abandon(IncomingMessage message)
    {
        var before = _abandoned;
        _abandoned = AbandonAfterAsync(before, message);
    }

    private async Task AbandonAfterAsync(Task before, IncomingMessage message)
    {
        await before;
        await AbandonAsync(message);
    }

    /// <summary>
    /// A BINARYMIME message is stored with its binary parts in base64 (RFC 3030 §4.3 has a relay do the same for a next
    /// hop without BINARYMIME): a Maildir keeps LF line ends and IMAP serves CRLF, so binary octets could not survive
    /// the mailbox, the relay or Sieve as they came. The checks ran on the message as received; returns the new size.
    /// </summary>
    private async Task<long> EncodeBinaryPartsAsync(string id, CancellationToken cancellationToken)
    {
        // A local, seekable copy parsed "persistent": MimeKit reads each part from the file when it encodes it, so the
        // message is never held in memory.
        await using var received = TemporaryFile();
        await using (var stored = await services.Blobs.OpenReadAsync(id, cancellationToken))
        {
            await stored.CopyToAsync(received, cancellationToken);
        }

        received.Position = 0;
        var message = await MimeKit.MimeMessage.LoadAsync(received, persistent: true, cancellationToken);
        message.Prepare(MimeKit.EncodingConstraint.EightBit);
        await using var encoded = TemporaryFile();
        await message.WriteToAsync(new MimeKit.FormatOptions { NewLineFormat = MimeKit.NewLineFormat.Dos }, encoded, cancellationToken);
        encoded.Position = 0;
        return await services.Blobs.PutBeforeEnqueueAsync(id, encoded, cancellationToken);
    }

    private static FileStream TemporaryFile() =>
        new(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);

    /// <summary>A write-only stream that hands the octets of a chunk to the reader as <see cref="Protocol.ProtocolConnection.ReadExactAsync"/> gives them.</summary>
    private sealed class ChunkSink(DataReader reader, CancellationToken cancellationToken) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default) =>
            reader.WriteChunkAsync(buffer, token.CanBeCanceled ? token : cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("chunks are written asynchronously");

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
