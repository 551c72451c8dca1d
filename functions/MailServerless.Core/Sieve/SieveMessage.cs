using MimeKit;

namespace MailServerless.Core.Sieve;

/// <summary>The message a script runs on, with its envelope (RFC 5228 §2.4.2.1, §5.4) and the spam verdict (RFC 5235).</summary>
public sealed class SieveMessage
{
    public SieveMessage(MimeMessage message, string envelopeFrom, string envelopeTo, long size, double? spamScore = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Message = message;
        EnvelopeFrom = envelopeFrom ?? string.Empty;
        EnvelopeTo = envelopeTo ?? string.Empty;
        Size = size;
        SpamScore = spamScore;
        Now = now ?? DateTimeOffset.UtcNow;
    }

    public MimeMessage Message { get; }

    public string EnvelopeFrom { get; }

    public string EnvelopeTo { get; }

    public long Size { get; }

    public double? SpamScore { get; }

    public DateTimeOffset Now { get; }
}
