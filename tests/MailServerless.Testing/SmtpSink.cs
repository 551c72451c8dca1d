using System.Diagnostics;

namespace MailServerless.Testing;

/// <summary>
/// Postfix's <c>smtp-sink</c> on a loopback port, as the relay or MX that outbound mail reaches: every
/// transaction is dumped to a file (envelope as <c>X-Mail-Args</c>/<c>X-Rcpt-Args</c>, then the message).
/// Extra arguments make it refuse: <c>-f RCPT</c> answers 5xx, <c>-r RCPT</c> answers 4xx.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private Process? _process;

    private SmtpSink(int port)
    {
        Port = port;
        Directory.CreateDirectory(DumpDirectory);
        // smtp-sink drops to "nobody" (it refuses to run as root), which must be able to write the dumps.
        File.SetUnixFileMode(DumpDirectory, (UnixFileMode)0x1FF);
    }

    public int Port { get; }

    public string DumpDirectory { get; } = Path.Combine(Path.GetTempPath(), "msl-sink-" + Guid.NewGuid().ToString("N"));

    public static async Task<SmtpSink> StartAsync(params string[] refusals)
    {
        var sink = new SmtpSink(EdgeServerProcess.FreePort());
        await sink.RestartAsync(refusals);
        return sink;
    }

    /// <summary>Stops the sink and starts it again on the same port, with other refusals (none: it takes everything).</summary>
    public async Task RestartAsync(params string[] refusals)
    {
        await StopAsync();
        var start = new ProcessStartInfo(File.Exists("/usr/sbin/smtp-sink") ? "/usr/sbin/smtp-sink" : "smtp-sink")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["-u", "nobody", "-h", "sink.remote.example", "-d", Path.Combine(DumpDirectory, "%M."), .. refusals, $"127.0.0.1:{Port}", "32"])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("smtp-sink did not start");
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"smtp-sink is not listening on {Port}: {await _process.StandardError.ReadToEndAsync()}");
    }

    /// <summary>Every transaction received so far, as dumped.</summary>
    public string[] Messages() =>
        Directory.EnumerateFiles(DumpDirectory).Select(File.ReadAllText).Where(text => text.Contains("X-Rcpt-Args", StringComparison.Ordinal)).ToArray();

    /// <summary>Waits for a transaction containing <paramref name="marker"/>.</summary>
    public async Task<string> WaitForMessageAsync(string marker, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (Messages().FirstOrDefault(m => m.Contains(marker, StringComparison.Ordinal)) is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the sink received nothing with '{marker}'");
    }

    private async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DumpDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
