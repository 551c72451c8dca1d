namespace MailServerless.EdgeServer.WebConsole;

/// <summary><c>Mail:Console</c>: the web console at <c>/</c> of the HTTP listener (where the admin API is served).</summary>
public sealed class ConsoleOptions
{
    /// <summary>Serve the console; off leaves <c>/</c> naming the server, as before.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A session ends after this long without a request (each request starts the time again).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after its login, however busy it is (a stolen cookie does not live for ever).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Rows on one page of a list.</summary>
    public int PageSize { get; set; } = 25;
}
