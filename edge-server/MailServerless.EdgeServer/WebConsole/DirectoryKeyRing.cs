using System.Xml.Linq;
using Dapper;
using MailServerless.Core.Accounts.Schema;
using MailServerless.Core.Accounts.Sql;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// ASP.NET Core's data-protection key ring (which seals the console's session cookies and antiforgery tokens) kept
/// in the directory (<c>msl_console_key</c>), so that a session begun on one process is honoured by every other
/// sharing the directory: several edges, or the admin API's Lambda instances. The interface is synchronous; keys
/// are read once and then every day or so, and written every 90 days.
/// </summary>
public sealed class DirectoryKeyRing(DirectoryDatabase database) : IXmlRepository
{
    private static readonly string Table = ExtensionSchema.ConsoleKey.Name;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        return connection.Query<string>($"SELECT `xml` FROM `{Table}` ORDER BY `name`").Select(x => XElement.Parse(x)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var connection = database.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        // The key's id is its name: unique, and the same key is never stored twice.
        var name = (string?)element.Attribute("id") ?? friendlyName;
        connection.Execute($"{database.Dialect.InsertIgnore} INTO `{Table}` (`name`, `xml`) VALUES (@name, @xml)",
            new { name, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
