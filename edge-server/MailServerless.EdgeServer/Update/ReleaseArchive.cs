using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Amazon.S3;
using MailServerless.Aws;

namespace MailServerless.EdgeServer.Update;

/// <summary>
/// A published edge server (<c>dotnet publish -r linux-x64 --self-contained true</c>, packed with <c>tar -czf</c>):
/// fetched from <c>s3://bucket/key</c> or a file, checked, and unpacked into a folder of its own.
/// </summary>
public sealed class ReleaseArchive : IDisposable
{
    /// <summary>The program every release must hold at its top (the self-contained build's apphost).</summary>
    public const string Program = "MailServerless.EdgeServer";

    private ReleaseArchive(string file, string source, string sha256)
    {
        File_ = file;
        Source = source;
        Sha256 = sha256;
    }

    private string File_ { get; }

    public string Source { get; }

    /// <summary>The archive's SHA-256, hex: the same archive twice is the same release.</summary>
    public string Sha256 { get; }

    public long Length => new FileInfo(File_).Length;

    /// <exception cref="Cli.CliException">The source cannot be read.</exception>
    public static async Task<ReleaseArchive> FetchAsync(string source, AwsOptions aws, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(aws);
        var file = Path.Combine(Path.GetTempPath(), $"msl-release-{Guid.NewGuid():N}.tar.gz");
        try
        {
            if (source.StartsWith("s3://", StringComparison.Ordinal))
            {
                var path = source["s3://".Length..];
                var slash = path.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || slash == path.Length - 1)
                {
                    throw new Cli.CliException($"--from '{source}' is not s3://bucket/key");
                }

                using var s3 = aws.CreateS3Client();
                using var response = await s3.GetObjectAsync(path[..slash], path[(slash + 1)..], cancellationToken);
                await using var output = File.Create(file);
                await response.ResponseStream.CopyToAsync(output, cancellationToken);
            }
            else
            {
                File.Copy(source, file);
            }

            await using var stream = File.OpenRead(file);
            var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            return new ReleaseArchive(file, source, sha);
        }
        catch (Exception e) when (e is AmazonS3Exception or IOException or UnauthorizedAccessException or HttpRequestException)
        {
            File.Delete(file);
            throw new Cli.CliException($"cannot fetch the release from {source}: {e.Message}");
        }
    }

    /// <summary>Unpacks into <paramref name="folder"/> (made here, 0755) and checks that it holds <see cref="Program"/>.</summary>
    /// <exception cref="Cli.CliException">It is not a gzip'd tar, or holds no edge server; nothing is left behind.</exception>
    public async Task UnpackAsync(string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        try
        {
            await using (var stream = File.OpenRead(File_))
            await using (var gzip = new GZipStream(stream, CompressionMode.Decompress))
            {
                // .NET refuses entries and links that would land outside the folder.
                await TarFile.ExtractToDirectoryAsync(gzip, folder, overwriteFiles: false, cancellationToken);
            }

            var program = Path.Combine(folder, Program);
            if (!File.Exists(program))
            {
                throw new InvalidDataException($"no {Program} at its top: publish with -r linux-x64 --self-contained true, then tar -czf <file> -C <output> .");
            }

            if (!OperatingSystem.IsWindows())
            {
                // The owner must be able to run it, whatever mode the archive gave.
                File.SetUnixFileMode(program, File.GetUnixFileMode(program) | UnixFileMode.UserExecute | UnixFileMode.UserRead);
                OpenToReaders(folder);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Directory.Delete(folder, recursive: true);
            throw new Cli.CliException($"{Source} is not a release: {e.Message}");
        }
    }

    /// <summary>
    /// Program files, not secrets: installed by root, run by the service's user. Whatever umask this command has
    /// (the program keeps its own data 0600), folders become 0755 and files readable by all, executable where the
    /// owner may execute them, writable by none but the owner.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void OpenToReaders(string folder)
    {
        const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Runnable = Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(folder, Runnable);
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            entry.UnixFileMode = entry is DirectoryInfo || entry.UnixFileMode.HasFlag(UnixFileMode.UserExecute) ? Runnable : Readable;
        }
    }

    public void Dispose() => File.Delete(File_);
}
