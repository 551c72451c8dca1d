namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// A deadline for one upload (SMTP DATA, an IMAP literal), as Postfix's <c>smtpd_per_request_deadline</c>
/// with <c>smtpd_min_data_rate</c>: the idle timeout, plus one second for every
/// <c>minBytesPerSecond</c> octets received. A client trickling a byte now and then (slowloris) is cut
/// off after about the idle timeout, while a slow but real upload keeps earning time.
/// </summary>
public sealed class TransferDeadline(TimeSpan idleTimeout, int minBytesPerSecond, TimeProvider clock)
{
    private readonly long _started = clock.GetTimestamp();
    private long _received;

    /// <summary>Counts octets received, each earning its share of time.</summary>
    public void Credit(long octets) => _received += octets;

    /// <summary>How long the next read may wait: the idle timeout, or less when the deadline is nearer.</summary>
    public TimeSpan NextWait
    {
        get
        {
            var earned = minBytesPerSecond > 0 ? TimeSpan.FromSeconds((double)_received / minBytesPerSecond) : TimeSpan.MaxValue - idleTimeout;
            var left = idleTimeout + earned - clock.GetElapsedTime(_started);
            return left < TimeSpan.Zero ? TimeSpan.Zero : left < idleTimeout ? left : idleTimeout;
        }
    }
}
