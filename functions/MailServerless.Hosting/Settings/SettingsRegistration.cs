using System.Reflection;
using Microsoft.Extensions.Options;
using MailServerless.Aws;
using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.Hosting.Settings;

/// <summary>
/// Binds each section of <see cref="SettingsCatalog"/> once, as <see cref="IOptions{T}"/> validated at start
/// (<see cref="ValidateAtStart"/>), and registers each options object for the services that take it directly.
/// </summary>
public static class SettingsRegistration
{
    /// <summary>Binds every section of <paramref name="catalog"/> (<see cref="SettingsCatalog.Functions"/> when not given).</summary>
    public static IServiceCollection AddMailSettings(this IServiceCollection services, IConfiguration configuration, SettingsCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        catalog ??= SettingsCatalog.Functions;
        var bind = typeof(SettingsRegistration).GetMethod(nameof(Bind), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var section in catalog.Sections)
        {
            bind.MakeGenericMethod(section.Type).Invoke(null, [services, configuration, section.Path]);
        }

        // Bounces come from the host itself unless told otherwise.
        services.AddOptions<DeliveryOptions>().PostConfigure<IOptions<MailOptions>>((delivery, mail) =>
        {
            if (configuration["Mail:Delivery:HostName"] is null)
            {
                delivery.HostName = mail.Value.EffectiveHostName;
            }
        });
        services.AddSingleton<Core.Secrets.ISecretStore>(sp =>
            new SsmSecretStore(sp.GetRequiredService<AwsOptions>(), sp.GetRequiredService<Core.Secrets.SecretOptions>()));
        services.AddSingleton(sp => new Core.Secrets.SecretSettings(
            sp.GetRequiredService<Core.Secrets.ISecretStore>(), sp.GetRequiredService<Core.Secrets.SecretOptions>(), TimeProvider.System));

        services.AddSingleton(catalog);
        services.AddSingleton<IValidateOptions<MailOptions>>(new UnknownSettings(configuration, catalog));
        services.AddSingleton<IValidateOptions<MailOptions>, MailOptionsValidation>();
        services.AddSingleton<IValidateOptions<QueueOptions>, QueueOptionsValidation>();
        services.AddSingleton<IValidateOptions<RelayOptions>, RelayOptionsValidation>();
        services.AddSingleton<IValidateOptions<AdministrationOptions>, AdministrationOptionsValidation>();
        services.AddSingleton<IValidateOptions<QuotaWarningOptions>, QuotaWarningOptionsValidation>();
        return services;
    }

    /// <summary>
    /// Binds and checks every section now (not at the first use of a setting), so that a bad setting stops start-up
    /// before anything is made; the exception's message is one line naming each bad key.
    /// </summary>
    /// <exception cref="SettingsException">A setting is unknown, has the wrong type or cannot work.</exception>
    public static void ValidateAtStart(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        Checked(() => services.GetRequiredService<IStartupValidator>().Validate());
    }

    /// <summary>Runs <paramref name="action"/> (which may bind settings), turning a refused setting into a <see cref="SettingsException"/>.</summary>
    public static void Checked(Action action) => Checked(() =>
    {
        ArgumentNullException.ThrowIfNull(action);
        action();
        return true;
    });

    /// <inheritdoc cref="Checked(Action)"/>
    public static T Checked<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return action();
        }
        catch (Exception e) when (Explain(e) is { } reason)
        {
            throw new SettingsException(reason, e);
        }
    }

    /// <summary>The one-line reason when <paramref name="error"/> is a refused setting; null otherwise.</summary>
    private static string? Explain(Exception error) => error switch
    {
        OptionsValidationException e => string.Join("; ", e.Failures.Distinct()),
        // Options read through IOptions and IOptionsMonitor are each checked: say each reason once.
        AggregateException e when e.InnerExceptions.All(i => Explain(i) is not null) =>
            string.Join("; ", e.InnerExceptions.SelectMany(i => Explain(i)!.Split("; ")).Distinct()),
        // The binder's own refusal: "Failed to convert configuration value 'x' at 'Mail:Smtp:MaxErrors' to type 'System.Int32'."
        InvalidOperationException e when e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) ||
                                         e.Message.StartsWith("Failed to create instance", StringComparison.Ordinal) => e.Message.TrimEnd('.'),
        _ when error.InnerException is { } inner => Explain(inner),
        _ => null,
    };

    private static OptionsBuilder<T> Bind<T>(IServiceCollection services, IConfiguration configuration, string section)
        where T : class
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        services.AddSingleton<IValidateOptions<T>>(new NoNegativeSettings<T>(section));
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }
}

/// <summary>A setting that is unknown or cannot work; the message names it and says why, in one line.</summary>
public sealed class SettingsException(string message, Exception? inner = null) : Exception(message, inner);
