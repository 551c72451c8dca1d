using System.CommandLine;
using System.Diagnostics;
using MailServerless.Aws;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Cli;

namespace MailServerless.EdgeServer.Update;

/// <summary>
/// <c>update --from s3://bucket/key</c>: replaces the edge server with a new release and loses no mail. The release
/// is fetched and unpacked beside the running one, <c>current</c> is switched to it, and the service is restarted:
/// the old process drains (a message being received is still acknowledged, <c>Mail:Smtp:DrainTimeout</c>; accepted
/// mail is already durable in the queue) and the new one starts. Then <c>/health</c> must answer; if it does not,
/// <c>current</c> goes back to the release before and the service is restarted on it.
/// </summary>
public static class UpdateCommand
{
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var from = new Option<string>("--from")
        {
            Description = "The release: s3://bucket/key (the template's ReleaseBucket/ReleaseKey) or a .tar.gz file.",
            Required = true,
        };
        var install = new Option<string>("--install-dir")
        {
            Description = "Where releases/ and the current link live.",
            DefaultValueFactory = _ => "/opt/mailserverless",
        };
        var restart = new Option<string>("--restart")
        {
            Description = "The command that restarts the service (run with /bin/sh -c).",
            DefaultValueFactory = _ => "systemctl restart mailserverless",
        };
        var timeout = new Option<TimeSpan>("--health-timeout")
        {
            Description = "How long the new server has to answer /health before the update is undone.",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(2),
        };
        var keep = new Option<int>("--keep")
        {
            Description = "Releases kept to go back to (the current one included).",
            DefaultValueFactory = _ => 3,
        };
        var command = new Command("update", "Installs a new release of the edge server, restarts it (the old process drains) and checks its health; undone if it is not healthy.")
        {
            from, install, restart, timeout, keep,
        };
        command.SetAction((parse, cancellationToken) => MailServerlessCommandLine.GuardAsync(context, async () =>
        {
            await using var services = CliHost.Build(context.Settings);
            var options = services.GetRequiredService<MailOptions>();
            var layout = new ReleaseLayout(Path.GetFullPath(parse.GetValue(install)!));
            Directory.CreateDirectory(layout.Releases);
            if (!OperatingSystem.IsWindows())
            {
                // The service's user must reach the releases root installs (this command's umask may be 077).
                File.SetUnixFileMode(layout.Releases, (UnixFileMode)0x1ED);
            }
            var output = context.Output;

            using var archive = await ReleaseArchive.FetchAsync(parse.GetValue(from)!, services.GetRequiredService<AwsOptions>(), cancellationToken);
            await output.WriteLineAsync($"fetched {archive.Source} ({archive.Length} bytes, sha256 {archive.Sha256[..12]})");
            if (archive.Sha256 == layout.CurrentSha256)
            {
                await output.WriteLineAsync($"already running this release ({layout.CurrentRelease}); nothing to do");
                return 0;
            }

            var previous = layout.CurrentRelease;
            var release = layout.NewRelease(archive.Sha256, DateTimeOffset.UtcNow);
            await archive.UnpackAsync(release, cancellationToken);
            ReleaseLayout.Mark(release, archive.Sha256);
            await output.WriteLineAsync($"unpacked into {release}");

            layout.Switch(release);
            await output.WriteLineAsync($"current -> {Path.GetFileName(release)}; restarting (the old server drains first)");
            var health = new Uri($"http://127.0.0.1:{options.Listeners.Http}/health");
            if (await RestartAsync(parse.GetValue(restart)!, output, cancellationToken) &&
                await HealthyAsync(health, parse.GetValue(timeout), cancellationToken) is { } after)
            {
                await output.WriteLineAsync($"healthy: {health} answered after {after.TotalSeconds:0.0} s");
                foreach (var removed in layout.Prune(Math.Max(2, parse.GetValue(keep))))
                {
                    await output.WriteLineAsync($"removed old release {Path.GetFileName(removed)}");
                }

                return 0;
            }

            if (previous is null)
            {
                throw new CliException($"the new release did not become healthy at {health}, and there is no earlier release to go back to");
            }

            await context.Error.WriteLineAsync($"error: the new release did not become healthy at {health}: going back to {Path.GetFileName(previous)}");
            layout.Switch(previous);
            await RestartAsync(parse.GetValue(restart)!, output, cancellationToken);
            var back = await HealthyAsync(health, parse.GetValue(timeout), cancellationToken);
            await context.Error.WriteLineAsync(back is not null
                ? $"back on {Path.GetFileName(previous)}, healthy; the failed release stays in {release} to look at"
                : $"back on {Path.GetFileName(previous)}, but it is not healthy either: see the service's log");
            return MailServerlessCommandLine.Refused;
        }));
        return command;
    }

    private static async Task<bool> RestartAsync(string command, TextWriter output, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        using var process = Process.Start(info) ?? throw new CliException($"cannot run {command}");
        var said = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var complained = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = ((await said) + (await complained)).Trim();
        if (process.ExitCode != 0)
        {
            await output.WriteLineAsync($"restart command failed (exit {process.ExitCode}): {text}");
            return false;
        }

        return true;
    }

    /// <summary>How long until <paramref name="health"/> answered 200, or null when it did not within <paramref name="timeout"/>.</summary>
    private static async Task<TimeSpan?> HealthyAsync(Uri health, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            try
            {
                using var response = await http.GetAsync(health, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return watch.Elapsed;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not up yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        return null;
    }
}
