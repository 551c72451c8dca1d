using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Configuration;
using MailServerless.Core.Passwords;
using MailServerless.Core.Storage;

namespace MailServerless.Hosting;

/// <summary>Registers the directory (database, password schemes, lookups, admin writes) and the Maildir store.</summary>
public static class DirectoryServices
{
    public static IServiceCollection AddMailDirectory(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => DirectoryDatabase.FromOptions(
            sp.GetRequiredService<MailOptions>(), sp.GetRequiredService<Core.Secrets.SecretSettings>()));
        services.AddSingleton(sp => new PasswordService(
            sp.GetRequiredService<MailOptions>().Directory.DefaultPasswordScheme,
            sp.GetRequiredService<MailOptions>().Directory.NewPasswordScheme,
            sp.GetRequiredService<ILogger<PasswordService>>()));
        services.AddSingleton<SchemaInstaller>();
        services.AddSingleton<SqlAccountDirectory>();
        services.AddSingleton<IAccountDirectory>(sp => sp.GetRequiredService<MailOptions>().Directory.CacheLifetime is { } lifetime && lifetime > TimeSpan.Zero
            ? new CachingAccountDirectory(sp.GetRequiredService<SqlAccountDirectory>(), lifetime, sp.GetRequiredService<TimeProvider>())
            : sp.GetRequiredService<SqlAccountDirectory>());
        services.AddSingleton<DirectoryAdministration>();
        services.AddSingleton(sp => new ServerPostmaster(
            sp.GetRequiredService<IAccountDirectory>(), sp.GetRequiredService<MailOptions>().Postmaster, sp.GetRequiredService<MailOptions>().EffectiveHostName));
        services.AddSingleton(sp => new RecipientResolver(
            sp.GetRequiredService<IAccountDirectory>(), sp.GetRequiredService<MailOptions>().EffectiveVacationDomain, sp.GetRequiredService<ServerPostmaster>(),
            sp.GetRequiredService<Functions.DeliveryOptions>().RecipientDelimiter));
        services.AddSingleton<SenderOwnership>();
        services.AddSingleton(sp => new Core.Addresses.SrsSecret(
            sp.GetRequiredService<Core.Addresses.SrsOptions>(), sp.GetRequiredService<MailOptions>().EffectiveHostName,
            sp.GetRequiredService<DirectoryDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var mail = sp.GetRequiredService<MailOptions>();
            var notify = mail.Notify;
            MailboxChanges? changes = null;
            if (notify.Listen.Length > 0 || notify.Peers.Length > 0)
            {
                var database = sp.GetRequiredService<DirectoryDatabase>();
                byte[]? key = null;
                changes = new MailboxChanges(mail.EffectiveStorePath, notify.PeerEndPoints, async cancellationToken => key ??= System.Text.Encoding.UTF8.GetBytes(
                        notify.Secret.Length > 0 ? notify.Secret : await Core.Accounts.Schema.MetaSecrets.GetOrCreateAsync(database, "notify_secret", cancellationToken)),
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<MailboxChanges>>());
            }

            return new MaildirStore(mail.EffectiveStorePath, mail.EffectiveHostName, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), changes);
        });
        return services;
    }
}
