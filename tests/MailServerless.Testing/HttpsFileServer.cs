using System.Diagnostics;
using System.Globalization;

namespace MailServerless.Testing;

/// <summary>
/// Python's <c>http.server</c> behind TLS on a loopback port, serving the files of a directory of its own: an MTA-STS
/// policy host (<c>/.well-known/mta-sts.txt</c>, served as text/plain) with the certificate a test gives it.
/// </summary>
public sealed class HttpsFileServer : IAsyncDisposable
{
    private const string Script = """
        import http.server, ssl, sys, os, functools
        directory, certificate, key = sys.argv[1:4]
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """;

    private readonly Process _process;

    private HttpsFileServer(Process process, string root, int port)
    {
        _process = process;
        Root = root;
        Port = port;
    }

    /// <summary>The directory served as <c>/</c>.</summary>
    public string Root { get; }

    public int Port { get; }

    public static async Task<HttpsFileServer> StartAsync(string certificatePath, string keyPath)
    {
        var root = Path.Combine(Path.GetTempPath(), "msl-https-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-c", Script, root, certificatePath, keyPath])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw new InvalidOperationException($"the HTTPS server did not start: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
        }

        return new HttpsFileServer(process, root, port);
    }

    /// <summary>Writes (or replaces) the file served at <paramref name="path"/>.</summary>
    public void Put(string path, string content)
    {
        var file = Path.Combine(Root, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
