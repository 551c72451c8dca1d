using System.Diagnostics;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>Time left of a budget that started at a <see cref="Stopwatch"/> timestamp.</summary>
public static class ProtocolDeadlines
{
    /// <summary>What is left of <paramref name="budget"/> since <paramref name="started"/>; a millisecond at least, so that a read times out at once.</summary>
    public static TimeSpan Left(long started, TimeSpan budget)
    {
        var left = budget - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }
}
