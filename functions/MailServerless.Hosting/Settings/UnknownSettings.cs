using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;
using MailServerless.Core.Configuration;

namespace MailServerless.Hosting.Settings;

/// <summary>
/// A key under <c>Mail:</c> that names no setting stops start-up, with where it was given and the nearest known
/// key: a misspelt setting is otherwise silently ignored, and the server runs on a default nobody chose.
/// </summary>
public sealed class UnknownSettings(IConfiguration configuration, SettingsCatalog catalog) : IValidateOptions<MailOptions>
{
    public ValidateOptionsResult Validate(string? name, MailOptions options)
    {
        var failures = Find(configuration, catalog).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>One message per unknown key.</summary>
    public static IEnumerable<string> Find(IConfiguration configuration, SettingsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(catalog);
        foreach (var (key, value) in configuration.GetSection(SettingsCatalog.Root).AsEnumerable())
        {
            if (value is null || catalog.Find(key) is not null)
            {
                continue; // a section node, or a setting
            }

            var nearest = NearestName.Find(key, catalog.Keys);
            yield return $"{key} ({Source(configuration, key)}) is not a setting" +
                         (nearest is null ? "; the settings are listed in docs/configuration.md" : $"; did you mean {nearest}?");
        }
    }

    /// <summary>Where a key was given: a settings file, an environment variable or the command line.</summary>
    private static string Source(IConfiguration configuration, string key)
    {
        var provider = (configuration as IConfigurationRoot)?.Providers.LastOrDefault(p => p.TryGet(key, out _));
        return provider switch
        {
            JsonConfigurationProvider json => $"in {Path.GetFileName(json.Source.Path)}",
            EnvironmentVariablesConfigurationProvider => $"environment variable {key.Replace(":", "__", StringComparison.Ordinal)}",
            CommandLineConfigurationProvider => "on the command line",
            _ => "in the settings",
        };
    }
}
