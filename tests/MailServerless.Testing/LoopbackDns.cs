using System.Diagnostics;

namespace MailServerless.Testing;

/// <summary>
/// dnsmasq on a loopback port, answering every name from its own records only (it asks no other server): MX, TXT
/// and address records for test domains, NXDOMAIN for every other name, and a domain whose look-ups fail (its
/// server does not answer, <c>unreachable.test</c>), for the relay in direct mode and SPF, DKIM and DMARC.
/// </summary>
public sealed class LoopbackDns : IAsyncDisposable
{
    private static readonly Lazy<LoopbackDns> LazyShared = new(() =>
    {
        var dns = StartAsync().GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dns.StopAsync().GetAwaiter().GetResult();
        return dns;
    });

    private Process _process;

    private LoopbackDns(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The value for <c>Mail:Dns:Servers</c> (or <c>Mail:Relay:DnsServer</c>).</summary>
    public string Server => $"127.0.0.1:{Port}";

    /// <summary>
    /// One server for every test server of this test run that names no other: it knows no name, so every look-up a
    /// server makes for mail from outside (SPF, DKIM, DMARC) finds nothing, at once, and the internet is never asked.
    /// </summary>
    public static string SharedServer => LazyShared.Value.Server;

    /// <param name="records">dnsmasq options such as <c>--mx-host=remote.test,mx.remote.test,10</c> and <c>--host-record=mx.remote.test,127.0.0.1</c>.</param>
    public static async Task<LoopbackDns> StartAsync(params string[] records)
    {
        var port = EdgeServerProcess.FreePort();
        return new LoopbackDns(await LaunchAsync(port, records), port);
    }

    /// <summary>Starts again on the same port with other records (a zone that changed).</summary>
    public async Task RestartAsync(params string[] records)
    {
        await StopAsync();
        _process = await LaunchAsync(Port, records);
    }

    private static async Task<Process> LaunchAsync(int port, string[] records)
    {
        var start = new ProcessStartInfo(File.Exists("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : "dnsmasq")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])
                 [
                     "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll", "--pid-file=",
                     "--listen-address=127.0.0.1", "--bind-interfaces", $"--port={port}", "--local=/#/", "--local-ttl=60",
                     "--server=/unreachable.test/127.0.0.1#9", .. records,
                 ])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dnsmasq did not start");
        for (var i = 0; i < 100 && !process.HasExited; i++)
        {
            var probe = await ProcessRunner.RunAsync("sh", ["-c", $"ss -lun | grep -q '127.0.0.1:{port} '"], timeout: TimeSpan.FromSeconds(5));
            if (probe.ExitCode == 0)
            {
                return process;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"dnsmasq is not listening on {port}: {await process.StandardError.ReadToEndAsync()}");
    }

    private async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
