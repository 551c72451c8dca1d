namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// The console's style sheet and script, built into the program (so that it needs no web root beside it) and served
/// as <c>/console.css</c> and <c>/console.js</c>.
/// </summary>
public static class ConsoleAssets
{
    private static readonly (string Path, string Resource, string Type)[] Assets =
    [
        ("/console.css", "console.css", "text/css; charset=utf-8"),
        ("/console.js", "console.js", "text/javascript; charset=utf-8"),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var (path, resource, type) in Assets)
        {
            var content = Read(resource);
            app.MapGet(path, () => Results.Bytes(content, type)).AllowAnonymous();
        }
    }

    private static byte[] Read(string name)
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        using var stream = assembly.GetManifestResourceStream("MailServerless.EdgeServer.WebConsole.Assets." + name)
                           ?? throw new InvalidOperationException($"the console's {name} is not built into the program");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
