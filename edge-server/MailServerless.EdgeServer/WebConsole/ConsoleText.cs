namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// The console's words, in <c>ConsoleText.resx</c> (English) and <c>ConsoleText.ja.resx</c> (Japanese), read through
/// <c>IStringLocalizer&lt;ConsoleText&gt;</c>: pages name a key (<c>T["Nav.Domains"]</c>), never the text itself.
/// </summary>
public sealed class ConsoleText
{
    private ConsoleText()
    {
    }
}
