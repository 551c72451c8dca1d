namespace MailServerless.Hosting;

/// <summary>What one process of the same build does (<c>Mail:Mode</c>).</summary>
public enum ServerMode
{
    /// <summary>Everything on one machine: SMTP/IMAP/POP3, the admin API and the workers.</summary>
    AllInOne,

    /// <summary>SMTP, IMAP and POP3 (and <c>/health</c>): accepted mail goes to the queue for the workers.</summary>
    Edge,

    /// <summary>The functions over the queues (EC2 workers polling SQS), and <c>/health</c>.</summary>
    Worker,

    /// <summary>The admin API alone (on Lambda behind the Web Adapter, or anywhere).</summary>
    Api,
}

public static class ServerModes
{
    /// <summary>The mode named by <paramref name="mode"/>, or null (the settings check then names the bad value).</summary>
    public static ServerMode? TryParse(string? mode) =>
        Enum.TryParse<ServerMode>(mode ?? nameof(ServerMode.AllInOne), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : null;

    public static ServerMode Parse(string? mode) =>
        Enum.TryParse<ServerMode>(mode, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"Mail:Mode '{mode}' is not one of AllInOne, Edge, Worker, Api.");

    public static bool ServesMail(this ServerMode mode) => mode is ServerMode.AllInOne or ServerMode.Edge;

    public static bool ServesApi(this ServerMode mode) => mode is ServerMode.AllInOne or ServerMode.Api;

    public static bool RunsWorkers(this ServerMode mode) => mode is ServerMode.AllInOne or ServerMode.Worker;
}
