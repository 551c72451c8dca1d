using System.Reflection;
using MailServerless.Aws;
using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Imap;
using MailServerless.EdgeServer.Pop3;
using MailServerless.EdgeServer.Protocol;
using MailServerless.EdgeServer.Smtp;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Hosting.Settings;

/// <summary>One section of the settings and the class it is bound to.</summary>
public sealed record SettingsSection(string Path, Type Type);

/// <summary>
/// Every <c>Mail:*</c> section and the one class each is bound to: the list the host binds, the unknown-key check
/// reads and docs/configuration.md is checked against. A setting is a public property with a setter of a simple
/// type (text, number, time, choice); a nested class is a subsection (<c>Mail:Directory:Provider</c>).
/// </summary>
public static class SettingsCatalog
{
    public const string Root = "Mail";

    public static IReadOnlyList<SettingsSection> Sections { get; } =
    [
        new(Root, typeof(MailOptions)),
        new("Mail:Auth", typeof(AuthOptions)),
        new("Mail:Smtp", typeof(SmtpOptions)),
        new("Mail:Imap", typeof(ImapOptions)),
        new("Mail:Pop3", typeof(Pop3Options)),
        new("Mail:ManageSieve", typeof(EdgeServer.ManageSieve.ManageSieveOptions)),
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
    ];

    /// <summary>Every setting's key, in catalogue order.</summary>
    public static IReadOnlyList<string> Keys { get; } = Sections.SelectMany(s => KeysOf(s.Path, s.Type)).ToList();

    /// <summary>The property a key names, or null when no setting has that key (keys ignore case, as configuration does).</summary>
    public static PropertyInfo? Find(string key)
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

    private static IEnumerable<string> KeysOf(string prefix, Type type)
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
