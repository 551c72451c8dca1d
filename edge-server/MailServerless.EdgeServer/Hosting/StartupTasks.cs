using System.Security.Cryptography;
using MailServerless.Core.Accounts;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// What happens before the listeners open: the data directory, the directory schema, and on
/// an empty directory a superadmin with a random password, printed once and kept in a 0600 file.
/// </summary>
public static class StartupTasks
{
    public const string SuperadminPasswordFile = "superadmin-password";

    public static async Task PrepareAsync(IServiceProvider services, TextWriter console, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<MailOptions>();
        EnsureDataDirectory(options);
        EnsureStoreBase(options);
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
        if (await admin.AnySuperadminAsync(cancellationToken))
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
