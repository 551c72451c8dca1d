using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailServerless.Testing;

/// <summary>The real edge-server binary started as its own process, as `dotnet run` starts it.</summary>
public sealed class EdgeServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EdgeServerProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    /// <summary>
    /// The server built beside the tests, or <c>MAILSERVERLESS_SERVER_DLL</c> (the benchmarks run a
    /// ReadyToRun publish, as a deployment would).
    /// </summary>
    public static string ServerDll =>
        Environment.GetEnvironmentVariable("MAILSERVERLESS_SERVER_DLL") is { Length: > 0 } published
            ? published
            : Path.Combine(AppContext.BaseDirectory, "MailServerless.EdgeServer.dll");

    public static int FreePort() => FreePorts(1)[0];

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// <paramref name="count"/> different free ports (all held open while they are chosen, so none comes twice), and
    /// none handed out before in this process: the kernel may offer a port again once its listener is closed, and two
    /// calls (a server's ports, then one more for the same server) must not collide.
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var held = new List<TcpListener>();
        try
        {
            var ports = new List<int>(count);
            while (ports.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                held.Add(listener);
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                lock (HandedOut)
                {
                    if (HandedOut.Add(port))
                    {
                        ports.Add(port);
                    }
                }
            }

            return ports.ToArray();
        }
        finally
        {
            held.ForEach(l => l.Stop());
        }
    }

    /// <summary>Settings that keep a test server on loopback, on free ports, with its data in <paramref name="dataDirectory"/>.</summary>
    public static List<string> Arguments(string dataDirectory, int httpPort, params string[] extra) =>
    [
        ServerDll, $"--Mail:DataDirectory={dataDirectory}", $"--Mail:Listeners:Http={httpPort}", "--Mail:HostName=mail.example.jp",
        "--Mail:Listeners:Smtp=0", "--Mail:Listeners:Submission=0", "--Mail:Listeners:Submissions=0", "--Mail:Listeners:Imap=0",
        "--Mail:Listeners:Imaps=0", "--Mail:Listeners:Pop3=0", "--Mail:Listeners:Pop3s=0", "--Mail:Listeners:ManageSieve=0", $"--Mail:Dns:Servers={LoopbackDns.SharedServer}", .. extra,
    ];

    /// <param name="program">What runs the server: <c>dotnet</c>, or a wrapper such as <c>unshare</c> that ends by running it.</param>
    /// <param name="environment">Variables to set for the server (settings as <c>Mail__Listeners__Smtp</c>, say).</param>
    public static EdgeServerProcess Start(
        IEnumerable<string> arguments, string? workingDirectory = null, string program = "dotnet", IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new EdgeServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Exited += (_, _) => server._listening.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits until the server printed its listeners (or exited); false on timeout.</summary>
    public async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
    {
        var finished = await Task.WhenAny(_listening.Task, Task.Delay(timeout));
        if (_process.HasExited)
        {
            // Exited at start (a port taken meanwhile, say): let its last output arrive before anyone reads why.
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
            }

            return false;
        }

        return finished == _listening.Task;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("Listening: ", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
