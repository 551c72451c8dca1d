using System.Buffers;
using MailServerless.Core.Storage;
using Microsoft.Win32.SafeHandles;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>
/// A stored message as FETCH BODY[] sends it, with CRLF line ends (the octets <see cref="MessageContent.ToCrlf"/>
/// gives), read from its file a piece at a time: a 50 MB message costs two 64 KiB buffers, not the message twice.
/// The file is opened before anything is written, so a message expunged meanwhile fails before the response starts;
/// once open, a rename or unlink by another session does not disturb the read.
/// </summary>
public sealed class CrlfMessageFile : IDisposable
{
    /// <summary>Takes a piece of output (a connection's write).</summary>
    public delegate void OctetWriter(ReadOnlySpan<byte> octets);

    private const int ChunkSize = 64 * 1024;

    private readonly SafeFileHandle _handle;

    /// <summary>The file's first piece, read while counting: a message that fits in it (most do) is read once.</summary>
    private readonly byte[] _first;
    private readonly int _firstLength;

    private CrlfMessageFile(SafeFileHandle handle, byte[] first, int firstLength, long length)
    {
        _handle = handle;
        _first = first;
        _firstLength = firstLength;
        Length = length;
    }

    /// <summary>The octets with CRLF line ends: what the literal announces.</summary>
    public long Length { get; }

    /// <summary>Opens the message's file and counts its octets as sent (one read of the file; Maildir files never change).</summary>
    public static CrlfMessageFile Open(MaildirFolder folder, MaildirMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return Open(folder.ReadFile(message, path => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)), cancellationToken);
    }

    /// <summary>Counts an open file's octets as sent; the file is the reader's from now on.</summary>
    public static CrlfMessageFile Open(SafeFileHandle handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var first = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var firstLength = RandomAccess.Read(handle, first.AsSpan(0, ChunkSize), 0);
            long offset = firstLength, bare = CountBareLineFeeds(first.AsSpan(0, firstLength), 0);
            var previous = firstLength > 0 ? first[firstLength - 1] : (byte)0;
            if (firstLength == ChunkSize)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                try
                {
                    int read;
                    while ((read = RandomAccess.Read(handle, buffer.AsSpan(0, ChunkSize), offset)) > 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        bare += CountBareLineFeeds(buffer.AsSpan(0, read), previous);
                        previous = buffer[read - 1];
                        offset += read;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            return new CrlfMessageFile(handle, first, firstLength, offset + bare);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(first);
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the octets <c>[start, start + count)</c> of the CRLF form, flushing after each piece so that the
    /// output never holds much more than one. Throws <see cref="MessageFileChangedException"/> if the file no longer
    /// gives the octets it was counted with (the literal's length was announced already: the caller must end the
    /// connection).
    /// </summary>
    public async Task CopyToAsync(long start, long count, OctetWriter write, Func<ValueTask> flush, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(flush);
        var end = count >= Length - start ? Length : start + count;
        var input = _firstLength == ChunkSize ? ArrayPool<byte>.Shared.Rent(ChunkSize) : null;
        var output = ArrayPool<byte>.Shared.Rent(2 * ChunkSize);
        try
        {
            long fileOffset = 0, sent = start, position = 0;
            var previous = (byte)0;
            while (sent < end)
            {
                // The first piece is the one read at Open; the rest come from the file (its pages are cached by now).
                var piece = fileOffset == 0 ? _first.AsSpan(0, _firstLength) : ReadPiece(input!, fileOffset);
                if (piece.IsEmpty)
                {
                    throw new MessageFileChangedException("The message file is shorter than when it was counted.");
                }

                fileOffset += piece.Length;
                var produced = Convert(piece, output, ref previous);
                // The part of this piece that lies in the range asked for.
                var from = Math.Max(sent, position);
                var to = Math.Min(end, position + produced);
                if (to > from)
                {
                    write(output.AsSpan((int)(from - position), (int)(to - from)));
                    sent = to;
                    await flush();
                }

                position += produced;
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            if (input is not null)
            {
                ArrayPool<byte>.Shared.Return(input);
            }

            ArrayPool<byte>.Shared.Return(output);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ArrayPool<byte>.Shared.Return(_first);
        _handle.Dispose();
    }

    private bool _disposed;

    private Span<byte> ReadPiece(byte[] buffer, long fileOffset) =>
        buffer.AsSpan(0, RandomAccess.Read(_handle, buffer.AsSpan(0, ChunkSize), fileOffset));

    /// <summary>Line feeds without a CR before them; <paramref name="previous"/> is the octet before the piece.</summary>
    private static long CountBareLineFeeds(ReadOnlySpan<byte> chunk, byte previous)
    {
        long bare = 0;
        for (var i = chunk.IndexOf((byte)'\n'); i >= 0; i = NextLineFeed(chunk, i))
        {
            if ((i == 0 ? previous : chunk[i - 1]) != '\r')
            {
                bare++;
            }
        }

        return bare;
    }

    private static int NextLineFeed(ReadOnlySpan<byte> chunk, int at)
    {
        var next = chunk[(at + 1)..].IndexOf((byte)'\n');
        return next < 0 ? -1 : at + 1 + next;
    }

    /// <summary>One piece with a CR put before each LF that has none; <paramref name="previous"/> carries the last octet over.</summary>
    private static int Convert(ReadOnlySpan<byte> input, Span<byte> output, ref byte previous)
    {
        var o = 0;
        var last = previous;
        while (!input.IsEmpty)
        {
            var lineFeed = input.IndexOf((byte)'\n');
            var run = lineFeed < 0 ? input.Length : lineFeed;
            input[..run].CopyTo(output[o..]);
            o += run;
            if (run > 0)
            {
                last = input[run - 1];
            }

            if (lineFeed < 0)
            {
                break;
            }

            if (last != '\r')
            {
                output[o++] = (byte)'\r';
            }

            output[o++] = (byte)'\n';
            last = (byte)'\n';
            input = input[(lineFeed + 1)..];
        }

        previous = last;
        return o;
    }
}

/// <summary>A message file gave other octets than it was counted with, after a literal announced their number.</summary>
public sealed class MessageFileChangedException(string message) : IOException(message);
