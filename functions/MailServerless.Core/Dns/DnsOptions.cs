namespace MailServerless.Core.Dns;

/// <summary>The <c>Mail:Dns</c> settings: the one resolver the relay, SPF, DKIM, DMARC and ARC look things up with.</summary>
public sealed class DnsOptions
{
    /// <summary>Resolvers as <c>address[:port]</c>, separated by commas or spaces; empty: the system's (<c>/etc/resolv.conf</c>).</summary>
    public string Servers { get; set; } = string.Empty;

    /// <summary>How long one query waits for an answer before it is asked again (or given up).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an unanswered query is asked again.</summary>
    public int Retries { get; set; } = 1;

    /// <summary>Answers kept at most (each for its TTL); past this, expired and then the oldest answers are dropped.</summary>
    public int CacheSize { get; set; } = 10000;
}
