using System.Reflection;
using MailServerless.Aws;
using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.Hosting.Settings;

/// <summary>One section of the settings and the class it is bound to.</summary>
public sealed record SettingsSection(string Path, Type Type);

/// <summary>
/// The <c>Mail:*</c> sections of a program and the one class each is bound to: the list the host binds, the
/// unknown-key check reads and docs/configuration.md is checked against. <see cref="Functions"/> is what the
/// functions and the admin API read; the edge server adds its protocols' sections (<see cref="With"/>). A setting is
/// a public property with a setter of a simple type (text, number, time, choice); a nested class is a subsection
/// (<c>Mail:Directory:Provider</c>).
/// </summary>
public sealed class SettingsCatalog
{
    public const string Root = "Mail";

    private SettingsCatalog(IReadOnlyList<SettingsSection> sections)
    {
        Sections = sections;
        Keys = sections.SelectMany(s => KeysOf(s.Path, s.Type)).ToList();
    }

    /// <summary>The sections every mode reads: the directory, the store, the queues, delivery and relay, administration.</summary>
    public static SettingsCatalog Functions { get; } = new(
    [
        new(Root, typeof(MailOptions)),
        new("Mail:Queue", typeof(QueueOptions)),
        new("Mail:Blob", typeof(BlobOptions)),
        new("Mail:Aws", typeof(AwsOptions)),
        new("Mail:Delivery", typeof(DeliveryOptions)),
        new("Mail:Sieve", typeof(SieveOptions)),
        new("Mail:Quota", typeof(QuotaWarningOptions)),
        new("Mail:Relay", typeof(RelayOptions)),
        new("Mail:Dns", typeof(Core.Dns.DnsOptions)),
        new("Mail:Authentication", typeof(Core.Authentication.AuthenticationOptions)),
        new("Mail:Spam", typeof(Core.Spam.SpamOptions)),
        new("Mail:Dkim", typeof(DkimOptions)),
        new("Mail:Srs", typeof(Core.Addresses.SrsOptions)),
        new("Mail:Admin", typeof(AdministrationOptions)),
        new("Mail:Secrets", typeof(Core.Secrets.SecretOptions)),
    ]);

    public IReadOnlyList<SettingsSection> Sections { get; }

    /// <summary>This catalogue and <paramref name="more"/> sections.</summary>
    public SettingsCatalog With(params SettingsSection[] more) => new([.. Sections, .. more]);

    /// <summary>Every setting's key, in catalogue order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The property a key names, or null when no setting has that key (keys ignore case, as configuration does).</summary>
    public PropertyInfo? Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var section = Sections.Where(s => key.StartsWith(s.Path + ":", StringComparison.OrdinalIgnoreCase))
            .MaxBy(s => s.Path.Length);
        return section is null ? null : Find(section.Type, key[(section.Path.Length + 1)..].Split(':'));
    }

    private static PropertyInfo? Find(Type type, string[] path)
    {
        var property = Settable(type).FirstOrDefault(p => string.Equals(p.Name, path[0], StringComparison.OrdinalIgnoreCase));
        if (property is null)
        {
            return null;
        }

        var rest = path[1..];
        return rest.Length == 0 ? property : IsLeaf(property.PropertyType) ? null : Find(property.PropertyType, rest);
    }

    private IEnumerable<string> KeysOf(string prefix, Type type)
    {
        foreach (var property in Settable(type))
        {
            var key = $"{prefix}:{property.Name}";
            if (Sections.Any(s => string.Equals(s.Path, key, StringComparison.OrdinalIgnoreCase)))
            {
                continue; // a section of its own
            }

            if (IsLeaf(property.PropertyType))
            {
                yield return key;
            }
            else
            {
                foreach (var nested in KeysOf(key, property.PropertyType))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>The properties configuration binding sets.</summary>
    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true });

    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) ||
               type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Uri);
    }

}
