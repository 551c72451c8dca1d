namespace MailServerless.Functions.Outbound;

/// <summary>How outbound mail leaves: straight to each domain's MX, or through one relay.</summary>
public enum RelayMode
{
    /// <summary>Look up the recipient domain's MX (Postfix's default transport).</summary>
    Direct,

    /// <summary>Hand everything to one relay (Postfix's <c>relayhost</c>): SES's SMTP interface or any other.</summary>
    Smarthost,
}

/// <summary>The <c>Mail:Relay</c> settings.</summary>
public sealed class RelayOptions
{
    public RelayMode Mode { get; set; } = RelayMode.Direct;

    /// <summary>The smarthost (e.g. <c>email-smtp.eu-west-1.amazonaws.com</c>).</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The smarthost's port (587 by default; 465 is TLS from the first byte), or the port of every MX in direct mode (25).</summary>
    public int? Port { get; set; }

    public string Username { get; set; } = string.Empty;

    public string Password { get; set; } = string.Empty;

    /// <summary>
    /// Refuse to send without TLS. Default: on for a smarthost (credentials travel), off for direct
    /// delivery, which uses STARTTLS when offered (Postfix's <c>smtp_tls_security_level = may</c>).
    /// </summary>
    public bool? RequireTls { get; set; }

    /// <summary>Accept a smarthost whose certificate does not verify (a test relay); never the default.</summary>
    public bool AllowInvalidCertificate { get; set; }

    /// <summary>The older name of <c>Mail:Dns:Servers</c> (one <c>address[:port]</c>), used when that is empty.</summary>
    public string DnsServer { get; set; } = string.Empty;

    /// <summary>Connections open at once to one destination (Postfix's <c>default_destination_concurrency_limit</c>).</summary>
    public int MaxConnectionsPerDestination { get; set; } = 20;

    /// <summary>How long an idle connection is kept for the next message to the same destination.</summary>
    public TimeSpan ConnectionReuseTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Giving up on a connection attempt (Postfix's <c>smtp_connect_timeout</c>).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Waiting for any one reply (Postfix's <c>smtp_data_done_timeout</c> is the longest: 600 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>PEM certificate authorities trusted besides the system's, for MX hosts, smarthosts and MTA-STS policy hosts (Postfix's <c>smtp_tls_CAfile</c>).</summary>
    public string CaFile { get; set; } = string.Empty;

    /// <summary>Direct delivery honours recipient domains' MTA-STS policies (RFC 8461).</summary>
    public bool MtaSts { get; set; } = true;

    /// <summary>The HTTPS port MTA-STS policies are fetched from: 443, as RFC 8461 §3.3 has it; another only for a test.</summary>
    public int MtaStsPort { get; set; } = 443;

    /// <summary>How long a policy fetch may take (RFC 8461 §3.3 suggests at least a minute).</summary>
    public TimeSpan MtaStsFetchTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Direct delivery honours DNSSEC-signed TLSA records of MX hosts (DANE, RFC 7672); needs a validating resolver in <c>Mail:Dns:Servers</c>.</summary>
    public bool Dane { get; set; } = true;

    public int EffectivePort => Port ?? (Mode == RelayMode.Smarthost ? 587 : 25);

    public bool EffectiveRequireTls => RequireTls ?? Mode == RelayMode.Smarthost;
}
