using MailServerless.Core.Accounts;
using MailServerless.Core.Addresses;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// <c>setup --superadmin EMAIL</c>: creates the directory schema and a superadmin (or resets
/// its password), reading the password from the first line of standard input.
/// </summary>
public static class SetupCommand
{
    public static async Task<int> RunAsync(
        IServiceProvider services, IConfiguration arguments, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var username = arguments["superadmin"];
        if (string.IsNullOrWhiteSpace(username) || !EmailAddress.TryParse(username, out var address))
        {
            await output.WriteLineAsync("usage: setup --superadmin EMAIL   (the password is read from standard input)");
            return 64;
        }

        var password = (await input.ReadLineAsync(cancellationToken))?.TrimEnd('\r');
        if (string.IsNullOrEmpty(password))
        {
            await output.WriteLineAsync("error: no password on standard input");
            return 65;
        }

        StartupTasks.EnsureDataDirectory(services.GetRequiredService<Core.Configuration.MailOptions>());
        var created = await services.GetRequiredService<SchemaInstaller>().EnsureSchemaAsync(cancellationToken);
        await services.GetRequiredService<DirectoryAdministration>()
            .CreateOrResetSuperadminAsync(address.Value, password, cancellationToken);
        await output.WriteLineAsync(
            $"Directory ready ({created.Count} table(s) created); superadmin {address.Value} set.");
        return 0;
    }
}
