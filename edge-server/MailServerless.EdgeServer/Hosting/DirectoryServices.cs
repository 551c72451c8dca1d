using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Configuration;
using MailServerless.Core.Passwords;
using MailServerless.Core.Storage;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Registers the directory (database, password schemes, lookups, admin writes) and the Maildir store.</summary>
public static class DirectoryServices
{
    public static IServiceCollection AddMailDirectory(this IServiceCollection services, MailOptions options)
    {
        PasswordService.ResolveConfiguredSchemes(options.Directory.DefaultPasswordScheme, options.Directory.NewPasswordScheme);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(DirectoryDatabase.FromOptions(options));
        services.AddSingleton(sp => new PasswordService(
            options.Directory.DefaultPasswordScheme,
            options.Directory.NewPasswordScheme,
            sp.GetRequiredService<ILogger<PasswordService>>()));
        services.AddSingleton<SchemaInstaller>();
        services.AddSingleton<SqlAccountDirectory>();
        services.AddSingleton<IAccountDirectory>(sp => options.Directory.CacheLifetime > TimeSpan.Zero
            ? new CachingAccountDirectory(sp.GetRequiredService<SqlAccountDirectory>(), options.Directory.CacheLifetime, sp.GetRequiredService<TimeProvider>())
            : sp.GetRequiredService<SqlAccountDirectory>());
        services.AddSingleton<DirectoryAdministration>();
        services.AddSingleton(sp => new ServerPostmaster(sp.GetRequiredService<IAccountDirectory>(), options.Postmaster, options.EffectiveHostName));
        services.AddSingleton(sp => new RecipientResolver(
            sp.GetRequiredService<IAccountDirectory>(), options.EffectiveVacationDomain, sp.GetRequiredService<ServerPostmaster>()));
        services.AddSingleton(sp => new MaildirStore(
            options.EffectiveStorePath, options.EffectiveHostName, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
        return services;
    }
}
