using MailServerless.EdgeServer.Imap;
using MailServerless.EdgeServer.ManageSieve;
using MailServerless.EdgeServer.Pop3;
using MailServerless.EdgeServer.Protocol;
using MailServerless.EdgeServer.Smtp;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>The edge server's settings: every function's (<see cref="SettingsCatalog.Functions"/>) and its protocols'.</summary>
public static class EdgeSettings
{
    public static SettingsCatalog Catalog { get; } = SettingsCatalog.Functions.With(
        new("Mail:Auth", typeof(AuthOptions)),
        new("Mail:Smtp", typeof(SmtpOptions)),
        new("Mail:Imap", typeof(ImapOptions)),
        new("Mail:Pop3", typeof(Pop3Options)),
        new("Mail:ManageSieve", typeof(ManageSieveOptions)),
        new("Mail:Console", typeof(WebConsole.ConsoleOptions)));
}
