using System.Security.Cryptography;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// What happens before the listeners open: the data directory, the directory schema, and on
/// an empty directory a superadmin with a random password, printed once and kept in a 0600 file.
/// </summary>
public static partial class StartupTasks
{
    /// <summary>How many exposed paths are named one by one before the rest are only counted.</summary>
    private const int ExposedReported = 20;

    public const string SuperadminPasswordFile = "superadmin-password";

    public static async Task PrepareAsync(IServiceProvider services, TextWriter console, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<MailOptions>();
        EnsureDataDirectory(options);
        EnsureStoreBase(options);
        ReportExposedFiles(options, services.GetRequiredService<ILoggerFactory>().CreateLogger("MailServerless.EdgeServer.Hosting.StartupTasks"));
        await services.GetRequiredService<SchemaInstaller>().EnsureSchemaAsync(cancellationToken);
        await EnsureSuperadminAsync(services, options, console, cancellationToken);
        // Load (or make) the TLS certificate now, so a bad one stops start-up with its setting named.
        _ = services.GetRequiredService<Protocol.TlsCertificateProvider>().Certificate;
    }

    public static void EnsureDataDirectory(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.EffectiveDataDirectory;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
            }
            else
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DirectoryConfigurationException($"Mail:DataDirectory '{path}' cannot be created: {e.Message}", e);
        }
    }

    /// <summary>
    /// Warns of what an older install (or a copy made without care) left open to other users: the data
    /// directory and what is in it (the directory database, keys, the spool), and the store's domain and
    /// mailbox folders. Nothing is changed: the operator decides, with the path and the command given.
    /// </summary>
    private static void ReportExposedFiles(MailOptions options, ILogger logger)
    {
        var exposed = Core.Storage.PrivateFiles.Exposed([options.EffectiveDataDirectory, options.EffectiveStorePath], depth: 2).ToList();
        foreach (var (path, mode) in exposed.Take(ExposedReported))
        {
            LogExposed(logger, path, Core.Storage.PrivateFiles.Octal(mode));
        }

        if (exposed.Count > ExposedReported)
        {
            LogMoreExposed(logger, exposed.Count - ExposedReported);
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning,
        Message = "{Path} is open to other users (mode {Mode}); mail, keys and the directory should be 0600 in 0700 folders: chmod -R go-rwx {Path}")]
    private static partial void LogExposed(ILogger logger, string path, string mode);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "and {Count} more paths open to other users")]
    private static partial void LogMoreExposed(ILogger logger, int count);

    /// <summary>The Maildir base must exist and be writable before the first delivery.</summary>
    private static void EnsureStoreBase(MailOptions options)
    {
        var path = options.EffectiveStorePath;
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, ".write-test-" + Guid.NewGuid().ToString("N"));
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DirectoryConfigurationException($"Mail:Store:Path '{path}' is not a writable directory: {e.Message}", e);
        }
    }

    private static async Task EnsureSuperadminAsync(
        IServiceProvider services, MailOptions options, TextWriter console, CancellationToken cancellationToken)
    {
        var admin = services.GetRequiredService<DirectoryAdministration>();
        if (!services.GetRequiredService<Core.Administration.AdministrationOptions>().GenerateSuperadmin ||
            await admin.AnySuperadminAsync(cancellationToken))
        {
            return;
        }

        var username = "admin@" + options.EffectiveHostName;
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        var file = Path.Combine(options.EffectiveDataDirectory, SuperadminPasswordFile);
        await WriteSecretAsync(file, $"{username}\n{password}\n", cancellationToken);
        await admin.CreateOrResetSuperadminAsync(username, password, cancellationToken);
        await console.WriteLineAsync(
            $"Created superadmin {username} with password {password} (shown once; also stored in {file}, mode 0600).");
    }

    private static async Task WriteSecretAsync(string path, string content, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(path, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(content.AsMemory(), cancellationToken);
        }

        if (!OperatingSystem.IsWindows())
        {
            // An existing file keeps its mode on open: set it explicitly.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
