using System.Xml;
using System.Xml.Linq;
using MailServerless.Core.Accounts;
using MailServerless.Core.Addresses;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Api;

/// <summary>
/// Mail client autoconfiguration, so that a user types only address and password: Thunderbird's
/// <c>config-v1.1.xml</c> (the ISPDB format, at <c>/.well-known/autoconfig/mail/</c> and <c>/mail/</c> on the
/// <c>autoconfig.</c> host) and Outlook's POX Autodiscover (<c>POST /autodiscover/autodiscover.xml</c>). They
/// describe this server's IMAP, POP3 and SMTP listeners under <c>Mail:Autoconfig:HostName</c>; only local domains are answered.
/// </summary>
public static class Autoconfig
{
    private const string AutodiscoverResponse = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
    private const string OutlookResponse = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

    /// <summary>A listener a mail client may use: <c>imap</c>/<c>pop3</c>/<c>smtp</c>, its port, and <c>SSL</c> (implicit TLS) or <c>STARTTLS</c>.</summary>
    public sealed record Service(string Type, int Port, string SocketType);

    public static void MapAutoconfig(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/.well-known/autoconfig/mail/config-v1.1.xml", ThunderbirdAsync);
        app.MapGet("/mail/config-v1.1.xml", ThunderbirdAsync);
        app.MapPost("/autodiscover/autodiscover.xml", OutlookAsync); // routes match in any case
    }

    private static async Task<IResult> ThunderbirdAsync(HttpContext context, IAccountDirectory directory, MailOptions options, string? emailaddress)
    {
        // Thunderbird asks autoconfig.<domain> with ?emailaddress=; without it the host name tells the domain.
        var domainText = emailaddress is not null && EmailAddress.TryParse(emailaddress, out var address)
            ? address.Domain
            : context.Request.Host.Host.StartsWith("autoconfig.", StringComparison.OrdinalIgnoreCase) ? context.Request.Host.Host["autoconfig.".Length..] : null;
        if (domainText is null || !EmailAddress.TryNormalizeDomain(domainText, out var domain) ||
            await directory.GetDomainKindAsync(domain, context.RequestAborted) != DomainKind.Local)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No mail service for that domain here.");
        }

        var host = HostName(options);
        var provider = new XElement("emailProvider", new XAttribute("id", domain),
            new XElement("domain", domain), new XElement("displayName", domain), new XElement("displayShortName", domain));
        foreach (var service in Services(options))
        {
            var element = new XElement(service.Type == "smtp" ? "outgoingServer" : "incomingServer", new XAttribute("type", service.Type),
                new XElement("hostname", host), new XElement("port", service.Port), new XElement("socketType", service.SocketType),
                new XElement("authentication", "password-cleartext"), new XElement("username", "%EMAILADDRESS%"));
            provider.Add(element);
        }

        var document = new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement("clientConfig", new XAttribute("version", "1.1"), provider));
        return TypedResults.Text(document.Declaration + "\n" + document.Root, "application/xml");
    }

    private static async Task<IResult> OutlookAsync(HttpContext context, IAccountDirectory directory, MailOptions options)
    {
        string? email = null;
        try
        {
            // A small request body, no DTDs: the XML reader can be given nothing hostile to expand.
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 64 * 1024, Async = true };
            using var reader = XmlReader.Create(context.Request.Body, settings);
            var request = await XDocument.LoadAsync(reader, LoadOptions.None, context.RequestAborted);
            email = request.Descendants().FirstOrDefault(e => e.Name.LocalName == "EMailAddress")?.Value.Trim();
        }
        catch (XmlException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request is not an Autodiscover request.");
        }

        if (email is null || !EmailAddress.TryParse(email, out var address) ||
            await directory.GetDomainKindAsync(address.Domain, context.RequestAborted) != DomainKind.Local)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No mail service for that address here.");
        }

        XNamespace outlook = OutlookResponse;
        var account = new XElement(outlook + "Account", new XElement(outlook + "AccountType", "email"), new XElement(outlook + "Action", "settings"));
        // Outlook takes the first protocol of each type: the implicit-TLS ports come first.
        foreach (var service in Services(options).Where(s => s.Type != "pop3"))
        {
            account.Add(new XElement(outlook + "Protocol",
                new XElement(outlook + "Type", service.Type.ToUpperInvariant()),
                new XElement(outlook + "Server", HostName(options)),
                new XElement(outlook + "Port", service.Port),
                new XElement(outlook + "DomainRequired", "off"),
                new XElement(outlook + "LoginName", address.Value),
                new XElement(outlook + "SPA", "off"),
                new XElement(outlook + "SSL", "on"),
                service.SocketType == "STARTTLS" ? new XElement(outlook + "Encryption", "TLS") : null,
                new XElement(outlook + "AuthRequired", "on")));
        }

        XNamespace autodiscover = AutodiscoverResponse;
        var document = new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(autodiscover + "Autodiscover", new XElement(outlook + "Response", account)));
        return TypedResults.Text(document.Declaration + "\n" + document.Root, "application/xml");
    }

    /// <summary>The host name clients connect to.</summary>
    public static string HostName(MailOptions options) => options.Autoconfig.HostName ?? options.EffectiveHostName;

    /// <summary>The listeners a client may use, implicit TLS first (RFC 8314 prefers it), then STARTTLS.</summary>
    public static IEnumerable<Service> Services(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listeners = options.Listeners;
        var candidates = new[]
        {
            new Service("imap", listeners.Imaps, "SSL"), new Service("imap", listeners.Imap, "STARTTLS"),
            new Service("pop3", listeners.Pop3s, "SSL"), new Service("pop3", listeners.Pop3, "STARTTLS"),
            new Service("smtp", listeners.Submissions, "SSL"), new Service("smtp", listeners.Submission, "STARTTLS"),
        };
        return candidates.Where(s => s.Port > 0);
    }
}
