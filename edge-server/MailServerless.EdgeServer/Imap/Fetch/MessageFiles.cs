using System.Buffers;
using MailServerless.Core.Storage;
using MimeKit;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>Reads stored messages for FETCH and SEARCH: the header block alone when that is enough, or all of it.</summary>
public static class MessageFiles
{
    /// <summary>
    /// The headers, reading only as far as the blank line that ends them, and no further than
    /// <see cref="ParseCopy.MaxTopHeader"/>; parsed from their <see cref="ParseCopy"/>, so bounded in time.
    /// </summary>
    public static HeaderList ReadHeaders(MaildirFolder folder, MaildirMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        using var handle = folder.ReadFile(message, path => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var length = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = RandomAccess.Read(handle, buffer.AsSpan(length, Math.Min(buffer.Length, ParseCopy.MaxTopHeader) - length), length);
                var end = HeaderEnd(buffer.AsSpan(0, length + read), Math.Max(0, length - 3));
                length += read;
                if (end >= 0 || read == 0 || length >= ParseCopy.MaxTopHeader)
                {
                    var copy = ParseCopy.Of(buffer.AsSpan(0, end >= 0 ? end : length).ToArray());
                    using var headerStream = new MemoryStream(copy.Bytes, writable: false);
                    return HeaderList.Load(headerStream, cancellationToken);
                }

                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
        }
        catch (FormatException)
        {
            return [];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The whole message with CRLF line ends; its parse is cancelled with <paramref name="cancellationToken"/>.</summary>
    public static MessageContent ReadContent(MaildirFolder folder, MaildirMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return MessageContent.Parse(MessageContent.ToCrlf(folder.ReadFile(message, File.ReadAllBytes)), cancellationToken);
    }

    /// <summary>The position just after the empty line ending the headers (LF or CRLF), or -1.</summary>
    private static int HeaderEnd(ReadOnlySpan<byte> data, int from)
    {
        for (var i = Math.Max(from, 0); i < data.Length; i++)
        {
            if (data[i] != '\n')
            {
                continue;
            }

            if (i + 1 < data.Length && data[i + 1] == '\n')
            {
                return i + 2;
            }

            if (i + 2 < data.Length && data[i + 1] == '\r' && data[i + 2] == '\n')
            {
                return i + 3;
            }
        }

        return -1;
    }
}
