namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// Postfix's <c>header_size_limit</c> and <c>line_length_limit</c>, applied to a new message's header section,
/// by SMTP DATA and IMAP APPEND alike: past either, the message is refused (Postfix truncates; a refusal tells
/// the sender and alters nothing a signature covers). Octets are counted with their line ends, a line without.
/// </summary>
public readonly record struct HeaderLimits(int MaxHeaderBytes, int MaxHeaderLine)
{
    /// <summary>True when the header section of the message in <paramref name="message"/> is within both limits; reads only as far as it must.</summary>
    public async Task<bool> AllowAsync(Stream message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new byte[16 * 1024];
        long header = 0;
        long line = 0;
        var atLineStart = true;
        int read;
        while ((read = await message.ReadAsync(buffer, cancellationToken)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (b == '\n')
                {
                    if (atLineStart)
                    {
                        return true; // the empty line: the header section is over
                    }

                    atLineStart = true;
                    line = 0;
                }
                else if (b != '\r')
                {
                    atLineStart = false;
                    line++;
                }

                if (++header > MaxHeaderBytes || line > MaxHeaderLine)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
