using System.CommandLine;
using MailServerless.Core.Accounts;
using MailServerless.Core.Addresses;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Cli;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// <c>setup --superadmin EMAIL</c>: makes the directory (data folder, schema) where the server will find it, and a
/// superadmin (or resets its password), reading the password from standard input under the same policy as the API.
/// </summary>
public static class SetupCommand
{
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var superadmin = new Option<string>("--superadmin")
        {
            Description = "The superadmin's login (an address); the password is the first line of standard input.",
            Required = true,
        };
        var command = new Command("setup", "Makes the directory (data folder and tables) and a superadmin, or resets the superadmin's password.") { superadmin };
        command.SetAction((parse, cancellationToken) => MailServerlessCommandLine.GuardAsync(context, async () =>
        {
            if (!EmailAddress.TryParse(parse.GetValue(superadmin), out var address))
            {
                throw new CliException($"--superadmin '{parse.GetValue(superadmin)}' is not an email address");
            }

            await using var services = CliHost.Build(context.Settings);
            var password = (await context.Input.ReadLineAsync(cancellationToken))?.TrimEnd('\r');
            if (string.IsNullOrEmpty(password))
            {
                throw new CliException("no password on standard input (give it as the first line)");
            }

            services.GetRequiredService<AdministrationOptions>().CheckPassword(password);
            StartupTasks.EnsureDataDirectory(services.GetRequiredService<Core.Configuration.MailOptions>());
            var created = await services.GetRequiredService<SchemaInstaller>().EnsureSchemaAsync(cancellationToken);
            await services.GetRequiredService<DirectoryAdministration>().CreateOrResetSuperadminAsync(address.Value, password, cancellationToken);
            await context.Output.WriteLineAsync($"Directory ready ({created.Count} table(s) created); superadmin {address.Value} set.");
            return 0;
        }));
        return command;
    }
}
