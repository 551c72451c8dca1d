using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// systemd's notify protocol (sd_notify(3)), for a <c>Type=notify</c> unit: one datagram per state change to the
/// socket in <c>$NOTIFY_SOCKET</c> (a path, or an abstract name written with a leading <c>@</c>). <c>READY=1</c> once
/// every listener is bound and the directory answers; <c>WATCHDOG=1</c> every half <c>$WATCHDOG_USEC</c> while the
/// process runs (when <c>$WATCHDOG_PID</c>, if set, is ours); <c>STOPPING=1</c> when it begins to stop. Without
/// <c>$NOTIFY_SOCKET</c> (not started by systemd) nothing is sent.
/// </summary>
public sealed class ServiceManagerNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;

    private ServiceManagerNotifier(string address)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        // An abstract socket's name begins with a NUL byte, which the variable writes as '@'.
        _target = new UnixDomainSocketEndPoint(address[0] == '@' ? "\0" + address[1..] : address);
    }

    /// <summary>The notifier for <c>$NOTIFY_SOCKET</c>, or null when the process was not started by systemd.</summary>
    public static ServiceManagerNotifier? FromEnvironment() =>
        Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 1 } address && (address[0] is '/' or '@')
            ? new ServiceManagerNotifier(address)
            : null;

    /// <summary>How often the watchdog wants to hear from us (half its timeout, as sd_watchdog_enabled(3) advises); null when it does not.</summary>
    public static TimeSpan? WatchdogInterval()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds)
            || microseconds <= 0)
        {
            return null;
        }

        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        return pid is null || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture)
            ? TimeSpan.FromMicroseconds(microseconds / 2)
            : null;
    }

    /// <summary>Sends one state change, such as <c>READY=1</c>; a service manager gone away is not our failure.</summary>
    public void Notify(string state)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _target);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>
    /// Waits until the directory answers (saying so in <c>STATUS=</c> meanwhile), sends <c>READY=1</c>, then pings the
    /// watchdog until <paramref name="stopping"/>, and says <c>STOPPING=1</c> then.
    /// </summary>
    public async Task RunAsync(DirectoryDatabase directory, string status, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(directory);
        try
        {
            while (await StatusEndpoints.DirectoryProblemAsync(directory, stopping) is { } problem)
            {
                // One assignment per line: a newline in the message would start another.
                Notify($"STATUS=waiting for the directory: {problem.ReplaceLineEndings(" ")}");
                await Task.Delay(TimeSpan.FromSeconds(2), stopping);
            }

            Notify($"READY=1\nSTATUS={status.ReplaceLineEndings(" ")}\nMAINPID={Environment.ProcessId}");
            if (WatchdogInterval() is not { } interval)
            {
                await Task.Delay(Timeout.Infinite, stopping);
                return;
            }

            using var timer = new PeriodicTimer(interval);
            do
            {
                Notify("WATCHDOG=1");
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Notify("STOPPING=1");
        }
    }

    public void Dispose() => _socket.Dispose();
}
