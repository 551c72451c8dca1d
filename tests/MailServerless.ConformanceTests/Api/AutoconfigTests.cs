using System.Net;
using System.Text;
using System.Xml.Linq;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Api;

/// <summary>Thunderbird's autoconfig (ISPDB format) and Outlook's Autodiscover describe the server's listeners.</summary>
public sealed class AutoconfigTests : IAsyncLifetime
{
    private static readonly string[] SocketTypes = ["plain", "SSL", "STARTTLS"];
    private static readonly string[] Authentications =
        ["password-cleartext", "password-encrypted", "NTLM", "GSSAPI", "client-IP-address", "TLS-client-cert", "OAuth2", "none"];

    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Http() => new() { BaseAddress = new Uri($"http://127.0.0.1:{_server.Http}/") };

    [Fact]
    public async Task Thunderbird_config_follows_the_ispdb_format_and_names_every_listener()
    {
        using var http = Http();
        var response = await http.GetAsync(".well-known/autoconfig/mail/config-v1.1.xml?emailaddress=user1%40example.jp");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        var document = XDocument.Parse(await response.Content.ReadAsStringAsync());

        var root = document.Root!;
        Assert.Equal("clientConfig", root.Name.LocalName);
        Assert.Equal("1.1", root.Attribute("version")?.Value);
        var provider = Assert.Single(root.Elements("emailProvider"));
        Assert.Equal("example.jp", provider.Attribute("id")?.Value);
        Assert.Equal("example.jp", provider.Element("domain")?.Value);
        Assert.NotNull(provider.Element("displayName"));
        var servers = provider.Elements().Where(e => e.Name.LocalName is "incomingServer" or "outgoingServer").ToList();
        foreach (var server in servers)
        {
            Assert.Equal("mx.example.jp", server.Element("hostname")?.Value);
            Assert.Contains(server.Element("socketType")?.Value, SocketTypes);
            Assert.Contains(server.Element("authentication")?.Value, Authentications);
            Assert.Equal("%EMAILADDRESS%", server.Element("username")?.Value);
            Assert.True(int.TryParse(server.Element("port")?.Value, out _));
        }

        string Port(string element, string type, string socket) => servers
            .Single(s => s.Name.LocalName == element && s.Attribute("type")?.Value == type && s.Element("socketType")?.Value == socket)
            .Element("port")!.Value;
        Assert.Equal(_server.Imaps.ToString(System.Globalization.CultureInfo.InvariantCulture), Port("incomingServer", "imap", "SSL"));
        Assert.Equal(_server.Imap.ToString(System.Globalization.CultureInfo.InvariantCulture), Port("incomingServer", "imap", "STARTTLS"));
        Assert.Equal(_server.Pop3s.ToString(System.Globalization.CultureInfo.InvariantCulture), Port("incomingServer", "pop3", "SSL"));
        Assert.Equal(_server.Submissions.ToString(System.Globalization.CultureInfo.InvariantCulture), Port("outgoingServer", "smtp", "SSL"));
        Assert.Equal(_server.Submission.ToString(System.Globalization.CultureInfo.InvariantCulture), Port("outgoingServer", "smtp", "STARTTLS"));
        // The first incoming server is the one Thunderbird tries first: IMAP over implicit TLS.
        Assert.Equal("imap", servers[0].Attribute("type")?.Value);

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("mail/config-v1.1.xml?emailaddress=someone%40elsewhere.example")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("mail/config-v1.1.xml?emailaddress=x%40backup.example")).StatusCode);
    }

    [Fact]
    public async Task Outlook_autodiscover_answers_for_local_addresses_and_refuses_hostile_xml()
    {
        using var http = Http();
        const string request = """
            <?xml version="1.0" encoding="utf-8"?>
            <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
              <Request><EMailAddress>user2@example.jp</EMailAddress>
              <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request>
            </Autodiscover>
            """;
        var response = await http.PostAsync("autodiscover/autodiscover.xml", new StringContent(request, Encoding.UTF8, "text/xml"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = XDocument.Parse(await response.Content.ReadAsStringAsync());
        XNamespace outlook = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
        var protocols = document.Descendants(outlook + "Protocol").ToList();
        var imap = protocols.First(p => p.Element(outlook + "Type")?.Value == "IMAP");
        var smtp = protocols.First(p => p.Element(outlook + "Type")?.Value == "SMTP");

        Assert.Equal("Autodiscover", document.Root!.Name.LocalName);
        Assert.Equal(_server.Imaps.ToString(System.Globalization.CultureInfo.InvariantCulture), imap.Element(outlook + "Port")?.Value);
        Assert.Equal(_server.Submissions.ToString(System.Globalization.CultureInfo.InvariantCulture), smtp.Element(outlook + "Port")?.Value);
        Assert.Equal("user2@example.jp", imap.Element(outlook + "LoginName")?.Value);
        Assert.Equal("on", imap.Element(outlook + "SSL")?.Value);

        const string laughs = """<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Autodiscover><Request><EMailAddress>&b;</EMailAddress></Request></Autodiscover>""";
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("autodiscover/autodiscover.xml", new StringContent(laughs, Encoding.UTF8, "text/xml"))).StatusCode);
        var stranger = request.Replace("user2@example.jp", "someone@elsewhere.example", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("autodiscover/autodiscover.xml", new StringContent(stranger, Encoding.UTF8, "text/xml"))).StatusCode);
    }
}
