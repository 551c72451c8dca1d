namespace MailServerless.Core.Storage;

/// <summary>
/// Copies a message to its Maildir file with Unix line ends (CRLF → LF), as Postfix's
/// virtual(8) and Dovecot store it, and counts what <c>,S=</c> and <c>,W=</c> need:
/// the file size and the size with every line end as CRLF (RFC 822 size).
/// </summary>
internal static class LineEndingWriter
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    public static async Task<(long Size, long VirtualSize)> CopyAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var input = new byte[64 * 1024];
        var output = new byte[64 * 1024 + 1];
        long size = 0, lineFeeds = 0;
        var pendingCr = false;
        int read;
        while ((read = await source.ReadAsync(input, cancellationToken)) > 0)
        {
            var n = 0;
            for (var i = 0; i < read; i++)
            {
                var b = input[i];
                if (pendingCr)
                {
                    pendingCr = false;
                    if (b != Lf)
                    {
                        output[n++] = Cr;
                    }
                }

                if (b == Cr)
                {
                    pendingCr = true;
                    continue;
                }

                if (b == Lf)
                {
                    lineFeeds++;
                }

                output[n++] = b;
                if (n >= input.Length)
                {
                    await target.WriteAsync(output.AsMemory(0, n), cancellationToken);
                    size += n;
                    n = 0;
                }
            }

            await target.WriteAsync(output.AsMemory(0, n), cancellationToken);
            size += n;
        }

        if (pendingCr)
        {
            target.WriteByte(Cr);
            size++;
        }

        return (size, size + lineFeeds);
    }
}
