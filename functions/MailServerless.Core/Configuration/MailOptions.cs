namespace MailServerless.Core.Configuration;

/// <summary>
/// The <c>Mail</c> configuration section. Keys are relied on by operators and scripts
/// (appsettings.json, <c>Mail__DataDirectory</c>, <c>--Mail:DataDirectory=...</c>): keep them.
/// Defaults that depend on other settings are resolved by the <c>Effective*</c> members.
/// </summary>
public sealed class MailOptions
{
    public const string SectionName = "Mail";

    /// <summary>SQLite directory, spool, generated TLS certificate, generated admin password.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Greeting, <c>Received:</c>, certificate name; the machine's name when empty.</summary>
    public string? HostName { get; set; }

    /// <summary><c>AllInOne</c> (the default); later modes split the system across hosts.</summary>
    public string Mode { get; set; } = "AllInOne";

    /// <summary>
    /// Where mail for the bare <c>postmaster</c> goes, and for <c>postmaster@</c> a local domain without such an
    /// address; empty: <c>postmaster@</c> the host name or its domain, whichever is local here.
    /// </summary>
    public string? Postmaster { get; set; }

    /// <summary>PostfixAdmin's <c>vacation_domain</c>; <c>autoreply.</c> + the host's domain when empty.</summary>
    public string? VacationDomain { get; set; }

    public DirectoryOptions Directory { get; set; } = new();

    public StoreOptions Store { get; set; } = new();

    public NotifyOptions Notify { get; set; } = new();

    public ListenerOptions Listeners { get; set; } = new();

    public TlsOptions Tls { get; set; } = new();

    public AutoconfigOptions Autoconfig { get; set; } = new();

    public string EffectiveDataDirectory => Path.GetFullPath(DataDirectory);

    public string EffectiveHostName =>
        string.IsNullOrWhiteSpace(HostName) ? System.Net.Dns.GetHostName().ToLowerInvariant() : HostName.Trim();

    public string EffectiveStorePath =>
        string.IsNullOrWhiteSpace(Store.Path)
            ? System.IO.Path.Combine(EffectiveDataDirectory, "virtual")
            : System.IO.Path.GetFullPath(Store.Path);

    public string EffectiveVacationDomain
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(VacationDomain))
            {
                return VacationDomain.Trim().ToLowerInvariant();
            }

            var host = EffectiveHostName;
            var dot = host.IndexOf('.', StringComparison.Ordinal);
            return "autoreply." + (dot > 0 ? host[(dot + 1)..] : host);
        }
    }

    public string EffectiveDirectoryConnectionString =>
        !string.IsNullOrWhiteSpace(Directory.ConnectionString)
            ? Directory.ConnectionString
            : Directory.IsMySql
                ? throw new InvalidOperationException(
                    "Mail:Directory:ConnectionString is required when Mail:Directory:Provider is MySql.")
                : $"Data Source={System.IO.Path.Combine(EffectiveDataDirectory, "directory.db")}";
}

public sealed class DirectoryOptions
{
    /// <summary><c>Sqlite</c> (embedded default) or <c>MySql</c> (MySQL, MariaDB, Aurora).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Empty for SQLite means <c>Data Source=&lt;DataDirectory&gt;/directory.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The MySQL password, instead of one in the connection string; <c>ssm:NAME#key</c> reads it from a secret
    /// at start-up and again after a rotation (<see cref="Secrets.SecretSettings"/>).
    /// </summary>
    public string? Password { get; set; }

    /// <summary>Scheme of a stored hash that names none, as Dovecot's <c>default_pass_scheme</c>.</summary>
    public string DefaultPasswordScheme { get; set; } = "MD5-CRYPT";

    /// <summary>Scheme for new passwords.</summary>
    public string NewPasswordScheme { get; set; } = "BLF-CRYPT";

    /// <summary>How long lookups (domains, aliases, mailboxes; not logins) are remembered; 0 turns the cache off.</summary>
    public TimeSpan CacheLifetime { get; set; } = TimeSpan.FromSeconds(10);

    public bool IsMySql => string.Equals(Provider, "MySql", StringComparison.OrdinalIgnoreCase);

    public bool IsSqlite => string.Equals(Provider, "Sqlite", StringComparison.OrdinalIgnoreCase);
}

public sealed class StoreOptions
{
    /// <summary>Maildir base (the seed's <c>/var/spool/virtual</c>); <c>&lt;DataDirectory&gt;/virtual</c> when empty.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// Whether other hosts write the store too (EFS, NFS), so that inotify cannot see their changes; unset: told by
    /// the file system type in <c>/proc/mounts</c>.
    /// </summary>
    public bool? Shared { get; set; }
}

/// <summary>
/// <c>Mail:Notify</c>: on a shared store, a process that delivers into a folder says so in a signed UDP datagram to
/// every edge, which wakes the IMAP sessions idling in it at once instead of polling the store every second.
/// </summary>
public sealed class NotifyOptions
{
    /// <summary>Where an edge takes notices (<c>address:port</c>, UDP); empty: it takes none and IDLE polls a shared store.</summary>
    public string Listen { get; set; } = string.Empty;

    /// <summary>Where a delivering process sends notices: every edge's <see cref="Listen"/>, <c>address:port</c>, comma-separated.</summary>
    public string Peers { get; set; } = string.Empty;

    /// <summary>The key notices are signed with; empty: one made once and kept in the directory, which every host shares.</summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>The endpoints of <see cref="Peers"/>; an entry that is not <c>address:port</c> is left out (validation names it).</summary>
    public IReadOnlyList<System.Net.IPEndPoint> PeerEndPoints =>
        Peers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => System.Net.IPEndPoint.TryParse(p, out var endPoint) && endPoint.Port > 0 ? endPoint : null)
            .OfType<System.Net.IPEndPoint>().ToList();
}

/// <summary>Ports; 0 turns a listener off. A deployment sets the standard ports.</summary>
public sealed class ListenerOptions
{
    public string Address { get; set; } = "127.0.0.1";

    public int Smtp { get; set; } = 2525;

    public int Submission { get; set; } = 2587;

    public int Submissions { get; set; } = 2465;

    public int Imap { get; set; } = 2143;

    public int Imaps { get; set; } = 2993;

    public int Pop3 { get; set; } = 2110;

    public int Pop3s { get; set; } = 2995;

    /// <summary>ManageSieve (RFC 5804), with STARTTLS; its registered port, unprivileged already.</summary>
    public int ManageSieve { get; set; } = 4190;

    public int Http { get; set; } = 8080;

    /// <summary>The admin API's HTTPS port, with the mail ports' certificate; 0: off.</summary>
    public int Https { get; set; }

    /// <summary>Where the HTTP and HTTPS listeners bind: loopback unless set, whatever <see cref="Address"/> the mail ports use.</summary>
    public string HttpAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Proxies (addresses or CIDR networks, comma-separated) whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>
    /// name the client and its scheme; no one's by default.
    /// </summary>
    public string TrustedProxies { get; set; } = string.Empty;

    /// <summary>
    /// A port that serves only <c>/metrics</c> (and <c>/health</c>), without authentication, for a Prometheus on a
    /// network you trust (<see cref="MetricsAddress"/>); 0: off, and <c>/metrics</c> on the HTTP listener asks a
    /// superadmin's credentials or API key.
    /// </summary>
    public int Metrics { get; set; }

    /// <summary>
    /// A plain HTTP port (80 for a public CA) that answers ACME's http-01 challenges (RFC 8555 §8.3) on <see cref="Address"/>, and
    /// nothing else; 0: off (then the HTTPS listener answers tls-alpn-01, or <c>/.well-known/acme-challenge/</c> on the HTTP one behind a proxy).
    /// </summary>
    public int AcmeHttp { get; set; }

    /// <summary>Where the metrics listener binds: loopback unless set.</summary>
    public string MetricsAddress { get; set; } = "127.0.0.1";

    /// <summary>Accept logins over plain HTTP from clients not on loopback (behind a proxy that terminates TLS but does not say so).</summary>
    public bool AllowPlainHttpLogin { get; set; }
}

public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain); empty: a self-signed one generated in the data directory.</summary>
    public string? CertificatePath { get; set; }

    public string? KeyPath { get; set; }

    /// <summary>How long a client has to finish the TLS handshake (STARTTLS and implicit TLS, every protocol).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>Mail:Tls:Acme</c> settings: certificates from an ACME CA (Let's Encrypt) instead of files.</summary>
    public AcmeOptions Acme { get; set; } = new();
}

/// <summary>Certificates ordered and renewed from an ACME CA (RFC 8555), kept in <c>&lt;DataDirectory&gt;/acme/</c>.</summary>
public sealed class AcmeOptions
{
    public const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";

    public bool Enabled { get; set; }

    /// <summary>The CA's directory URL; Let's Encrypt's production one unless set (its staging one for trials).</summary>
    public string Directory { get; set; } = LetsEncrypt;

    /// <summary>The account's contact, for the CA's expiry and policy mail.</summary>
    public string? Email { get; set; }

    /// <summary>The names on the certificate, comma-separated; empty: <c>Mail:HostName</c>. Each must point at this server.</summary>
    public string Domains { get; set; } = string.Empty;

    /// <summary>Renewed when less than this is left (Let's Encrypt's advice for its 90-day certificates).</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the certificate is looked at (expiry, the names, a newer one shared by another edge).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The first wait after a failed order; it doubles at each failure, up to a day.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>More authorities to trust for the CA's own HTTPS (a private CA, or a test one); PEM.</summary>
    public string? CaFile { get; set; }
}

/// <summary>The <c>Mail:Autoconfig</c> settings.</summary>
public sealed class AutoconfigOptions
{
    /// <summary>The host name mail clients are told to use (the certificate's name); default <c>Mail:HostName</c>.</summary>
    public string? HostName { get; set; }
}
