using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.S3.Model;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// <c>update --from s3://...</c> as the upgrade runbook runs it on the edge: the release is fetched from the bucket
/// (the emulator's here), unpacked beside the running one and made current; the restart stops the old server, which
/// drains (a message in the middle of DATA is still received and acknowledged, then 421), and the new release must
/// answer <c>/health</c>, or the update is undone.
/// </summary>
public sealed class EdgeUpdateTests : IDisposable
{
    private readonly string _install = Path.Combine(Path.GetTempPath(), $"msl-install-{Guid.NewGuid():N}");

    public void Dispose() => Directory.Delete(_install, recursive: true);

    /// <summary>
    /// A release as publish and tar make it, but whose program starts this test build (a self-contained publish
    /// would take minutes): the service manager runs it all the same, from <c>current/</c>.
    /// </summary>
    private static byte[] Release(string version, bool withProgram = true)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            void Add(string name, string text, UnixFileMode mode)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)), Mode = mode,
                });
            }

            if (withProgram)
            {
                Add("./MailServerless.EdgeServer", $"#!/bin/sh\nexec dotnet '{EdgeServerProcess.ServerDll}' \"$@\"\n", (UnixFileMode)0x1ED);
            }

            Add("./VERSION", version + "\n", (UnixFileMode)0x1A4);
        }

        return buffer.ToArray();
    }

    private static async Task<string> UploadAsync(byte[] release)
    {
        using var s3 = AwsEmulator.Options.CreateS3Client();
        var bucket = await AwsEmulator.CreateBucketAsync(s3, "rel");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "mailserverless/edge-server.tar.gz", InputStream = new MemoryStream(release) });
        return $"s3://{bucket}/mailserverless/edge-server.tar.gz";
    }

    /// <summary>The layout the template's user data leaves: releases/0-initial, and current pointing at it.</summary>
    private void InstallInitialRelease()
    {
        var initial = Path.Combine(_install, "releases", "0-initial");
        Directory.CreateDirectory(initial);
        File.WriteAllText(Path.Combine(initial, "VERSION"), "initial\n");
        File.CreateSymbolicLink(Path.Combine(_install, "current"), "releases/0-initial");
    }

    private Task<ProcessRunner.Result> UpdateAsync(MailServerInstance server, string from, string restart, string healthTimeout = "00:01:00") =>
        ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "update", "--from", from, "--install-dir", _install, "--restart", restart,
            "--health-timeout", healthTimeout, $"--Mail:Aws:ServiceUrl={AwsEmulator.ServiceUrl}", $"--Mail:DataDirectory={server.DataDirectory}",
            $"--Mail:Listeners:Http={server.Http}"], timeout: TimeSpan.FromMinutes(3));

    [Fact]
    public async Task A_release_from_the_bucket_is_installed_the_old_server_drains_and_the_new_one_answers_health()
    {
        InstallInitialRelease();
        var from = await UploadAsync(Release("2.0.0"));
        await using var server = await MailServerInstance.StartAsync();
        var oldProcess = server.ProcessId;

        // A client is in the middle of sending a message when the update begins.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.Smtp);
        using var smtp = new LineClient(client.GetStream());
        Assert.StartsWith("220", await smtp.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await smtp.CommandAsync("EHLO client.example"), StringComparison.Ordinal);
        Assert.StartsWith("250", await smtp.CommandAsync("MAIL FROM:<sender@remote.example>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await smtp.CommandAsync("RCPT TO:<user1@example.jp>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await smtp.CommandAsync("DATA"), StringComparison.Ordinal);
        await smtp.WriteAsync("From: sender@remote.example\r\nSubject: sent-during-update\r\n\r\nfirst half\r\n");

        // systemctl restart, as the update runs it: stop (SIGTERM), wait for the process to end.
        var restart = $"kill -TERM {oldProcess}; while kill -0 {oldProcess} 2>/dev/null; do sleep 0.1; done";
        var update = UpdateAsync(server, from, restart);

        await server.WaitForOutputAsync("Application is shutting down", TimeSpan.FromSeconds(60));
        await WaitUntilAsync(async () => !await ConnectsAsync(server.Smtp), "the SMTP listener is closed");
        // The message under way is still taken, made durable and acknowledged; then the session is told to go.
        await smtp.WriteAsync("second half\r\n.\r\n");
        Assert.StartsWith("250", await smtp.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("421 4.3.2", await smtp.ReadReplyAsync(), StringComparison.Ordinal);
        await WaitUntilAsync(() => Task.FromResult(server.HasExited), "the old server has exited:\n" + server.Output);

        // The service manager starts what current now points at.
        var current = Path.Combine(_install, "current");
        Assert.Equal("2.0.0", File.ReadAllText(Path.Combine(current, "VERSION")).Trim());
        await server.StartReleaseAsync(Path.Combine(current, "MailServerless.EdgeServer"));

        var result = await update;
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains($"fetched {from}", result.Output, StringComparison.Ordinal);
        Assert.Contains($"healthy: http://127.0.0.1:{server.Http}/health answered", result.Output, StringComparison.Ordinal);
        Assert.StartsWith(Path.Combine(_install, "releases"), new FileInfo(current).ResolveLinkTarget(true)!.FullName, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_install, "releases", "0-initial")), "the release before is kept to go back to");
        // Installed by root, run by the service's user: readable and runnable by all, writable by root alone.
        var release = new FileInfo(current).ResolveLinkTarget(true)!.FullName;
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(release));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(release, "MailServerless.EdgeServer")));
        Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(Path.Combine(release, "VERSION")));

        // Nothing was lost: the message acknowledged while draining is delivered by the new server.
        await server.WaitForMessageAsync("user1", "sent-during-update");

        // The same archive again changes nothing and restarts nothing.
        var again = await UpdateAsync(server, from, "exit 99");
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        Assert.Contains("already running this release", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_release_that_does_not_become_healthy_is_undone_and_one_without_the_program_is_refused()
    {
        InstallInitialRelease();
        await using var server = await MailServerInstance.StartAsync();

        // Nothing comes back after the restart: the update goes back to the release before and restarts again.
        var restarts = Path.Combine(_install, "restarts");
        var broken = await UploadAsync(Release("3.0.0-broken"));
        var result = await UpdateAsync(server, broken, $"readlink {_install}/current >> {restarts}; kill -TERM {server.ProcessId} 2>/dev/null; true", "00:00:03");
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.Contains("did not become healthy", result.Error, StringComparison.Ordinal);
        Assert.Contains("going back to 0-initial", result.Error, StringComparison.Ordinal);
        Assert.Equal("initial", File.ReadAllText(Path.Combine(_install, "current", "VERSION")).Trim());
        var links = File.ReadAllLines(restarts);
        Assert.Equal(2, links.Length);
        Assert.StartsWith("releases/2", links[0], StringComparison.Ordinal);
        Assert.Equal("releases/0-initial", links[1]);

        // An archive without the edge server is refused before anything changes.
        var empty = await UploadAsync(Release("4.0.0", withProgram: false));
        var refused = await UpdateAsync(server, empty, "exit 99");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not a release: no MailServerless.EdgeServer at its top", refused.Error, StringComparison.Ordinal);
        Assert.Equal("initial", File.ReadAllText(Path.Combine(_install, "current", "VERSION")).Trim());
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(_install, "releases")), d => File.Exists(Path.Combine(d, "VERSION")) &&
            File.ReadAllText(Path.Combine(d, "VERSION")).Trim() == "4.0.0");
    }

    private static async Task<bool> ConnectsAsync(int port)
    {
        using var probe = new TcpClient();
        try
        {
            await probe.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(100);
        }
    }

    /// <summary>SMTP by hand, a line at a time (replies here are one line).</summary>
    private sealed class LineClient(NetworkStream stream) : IDisposable
    {
        private readonly StreamReader _reader = new(stream, Encoding.ASCII);

        public void Dispose() => _reader.Dispose();

        public async Task WriteAsync(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text));

        public async Task<string> ReadReplyAsync()
        {
            string? line;
            do
            {
                line = await _reader.ReadLineAsync() ?? throw new IOException("connection closed");
            }
            while (line.Length > 3 && line[3] == '-');
            return line;
        }

        public async Task<string> CommandAsync(string command)
        {
            await WriteAsync(command + "\r\n");
            return await ReadReplyAsync();
        }
    }
}
