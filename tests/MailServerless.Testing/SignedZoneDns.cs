using System.Diagnostics;
using System.Globalization;

namespace MailServerless.Testing;

/// <summary>
/// A DNSSEC-signed zone behind a validating resolver, on loopback, for DANE: the zone is signed with ldns
/// (<c>ldns-keygen</c>, <c>ldns-signzone</c>, ECDSA P-256), served by NSD, and dnsmasq validates it from the zone's own
/// DS as trust anchor, setting the AD bit on what validates and answering SERVFAIL for what does not. Every other name
/// is answered by dnsmasq itself (NXDOMAIN), so nothing leaves the machine.
/// </summary>
public sealed class SignedZoneDns : IAsyncDisposable
{
    /// <summary>dnsmasq will not validate without a root anchor; the root's real KSK-2017 stands there, never used (no name leaves).</summary>
    private const string RootAnchor = ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

    private readonly List<Process> _processes = [];
    private readonly string _directory;

    private SignedZoneDns(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The value for <c>Mail:Dns:Servers</c>: the validating resolver.</summary>
    public string Server => $"127.0.0.1:{Port}";

    /// <param name="zone">The zone's name, such as <c>dane.test</c>.</param>
    /// <param name="records">Zone file lines relative to the zone, such as <c>mx IN A 127.0.0.1</c>; SOA and NS are added.</param>
    /// <param name="tampered">
    /// Names whose records are changed after signing (an A record's 127.0.0.1 becomes 127.0.0.2, a TLSA record's usage 3
    /// becomes 2), so that they validate as bogus.
    /// </param>
    public static async Task<SignedZoneDns> StartAsync(string zone, IEnumerable<string> records, params string[] tampered)
    {
        var directory = Directory.CreateTempSubdirectory("msl-dnssec-").FullName;
        var dns = new SignedZoneDns(directory, EdgeServerProcess.FreePort());
        try
        {
            await dns.LaunchAsync(zone, records, tampered);
            return dns;
        }
        catch
        {
            await dns.DisposeAsync();
            throw;
        }
    }

    private async Task LaunchAsync(string zone, IEnumerable<string> records, string[] tampered)
    {
        var zoneFile = Path.Combine(_directory, zone + ".zone");
        await File.WriteAllLinesAsync(zoneFile, [
            $"$ORIGIN {zone}.", "$TTL 300", $"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 300", $"@ IN NS ns.{zone}.", "ns IN A 127.0.0.1", .. records]);
        var ksk = (await RunAsync("ldns-keygen", "-a", "ECDSAP256SHA256", "-k", "-r", "/dev/urandom", zone)).Trim();
        var zsk = (await RunAsync("ldns-keygen", "-a", "ECDSAP256SHA256", "-r", "/dev/urandom", zone)).Trim();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signed = zoneFile + ".signed";
        await RunAsync("ldns-signzone", "-i", (now - 86400).ToString(CultureInfo.InvariantCulture), "-e", (now + 86400 * 30).ToString(CultureInfo.InvariantCulture),
            "-o", zone, "-f", signed, zoneFile, ksk, zsk);
        if (tampered.Length > 0)
        {
            var lines = (await File.ReadAllLinesAsync(signed)).Select(line =>
                !tampered.Any(name => line.StartsWith($"{name}.{zone}.\t", StringComparison.OrdinalIgnoreCase)) ? line
                : line.Contains("\tA\t", StringComparison.Ordinal) ? line.Replace("127.0.0.1", "127.0.0.2", StringComparison.Ordinal)
                : line.Replace("\tTLSA\t3 ", "\tTLSA\t2 ", StringComparison.Ordinal));
            await File.WriteAllLinesAsync(signed, lines);
        }

        // The KSK's DS ("zone. IN DS tag alg digest-type digest") is the resolver's trust anchor for the zone.
        var ds = (await File.ReadAllTextAsync(Path.Combine(_directory, ksk + ".ds"))).Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(ds, "DS");
        var anchor = string.Join(',', zone, ds[at + 1], ds[at + 2], ds[at + 3], ds[at + 4]);

        var nsdPort = EdgeServerProcess.FreePort();
        var log = Path.Combine(_directory, "nsd.log");
        await File.WriteAllTextAsync(Path.Combine(_directory, "nsd.conf"), $"""
            server:
                ip-address: 127.0.0.1@{nsdPort}
                port: {nsdPort}
                do-ip6: no
                server-count: 1
                username: ""
                chroot: ""
                zonesdir: "{_directory}"
                database: ""
                zonelistfile: "{_directory}/zone.list"
                xfrdfile: "{_directory}/xfrd.state"
                xfrdir: "{_directory}"
                pidfile: "{_directory}/nsd.pid"
                logfile: "{log}"
                verbosity: 1
            remote-control:
                control-enable: no
            zone:
                name: {zone}
                zonefile: "{signed}"
            """);
        Start(File.Exists("/usr/sbin/nsd") ? "/usr/sbin/nsd" : "nsd", "-d", "-c", Path.Combine(_directory, "nsd.conf"));
        // NSD listens before its zone is loaded; it says when it is ready.
        await WaitAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("nsd started", StringComparison.Ordinal), "nsd", log);

        Start(File.Exists("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : "dnsmasq",
            "--conf-file=/dev/null", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--pid-file=", "--listen-address=127.0.0.1",
            "--bind-interfaces", $"--port={Port}", $"--server=/{zone}/127.0.0.1#{nsdPort}", "--local=/#/", "--dnssec",
            $"--trust-anchor={RootAnchor}", $"--trust-anchor={anchor}");
        await WaitAsync(
            () => ProcessRunner.RunAsync("sh", ["-c", $"ss -lun | grep -q '127.0.0.1:{Port} '"], timeout: TimeSpan.FromSeconds(5)).GetAwaiter().GetResult().ExitCode == 0,
            "dnsmasq", null);
    }

    private void Start(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _processes.Add(Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start"));
    }

    private async Task WaitAsync(Func<bool> ready, string what, string? log)
    {
        for (var i = 0; i < 200; i++)
        {
            if (_processes.Any(p => p.HasExited))
            {
                break;
            }

            if (ready())
            {
                return;
            }

            await Task.Delay(50);
        }

        var errors = string.Join("\n", await Task.WhenAll(_processes.Where(p => p.HasExited).Select(p => p.StandardError.ReadToEndAsync())));
        throw new InvalidOperationException($"{what} did not start: {errors} {(log is not null && File.Exists(log) ? await File.ReadAllTextAsync(log) : string.Empty)}");
    }

    private async Task<string> RunAsync(string program, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(program, arguments, timeout: TimeSpan.FromSeconds(30), workingDirectory: _directory);
        return result.ExitCode == 0 ? result.Output : throw new InvalidOperationException($"{program} failed: {result.Error}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
