using System.Net;
using Microsoft.Extensions.Options;
using MailServerless.Aws;
using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.Core.Passwords;
using MailServerless.Core.Queue;
using MailServerless.Functions.Outbound;

namespace MailServerless.Hosting.Settings;

/// <summary>Settings that cannot work together or at all, each named with its key, so start-up stops with one line.</summary>
public sealed class MailOptionsValidation(IOptions<QueueOptions> queue) : IValidateOptions<MailOptions>
{
    public ValidateOptionsResult Validate(string? name, MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.TryParse<ServerMode>(options.Mode, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            failures.Add($"Mail:Mode '{options.Mode}' is not one of AllInOne, Edge, Worker, Api");
        }
        else if (mode is ServerMode.Edge or ServerMode.Worker && queue.Value.Provider != QueueProvider.Sqs)
        {
            failures.Add($"Mail:Mode {mode} shares its queues with other machines: set Mail:Queue:Provider to Sqs");
        }

        if (!IPAddress.TryParse(options.Listeners.Address, out _))
        {
            failures.Add($"Mail:Listeners:Address '{options.Listeners.Address}' is not an IP address");
        }

        if (!IPAddress.TryParse(options.Listeners.HttpAddress, out _))
        {
            failures.Add($"Mail:Listeners:HttpAddress '{options.Listeners.HttpAddress}' is not an IP address");
        }

        if (options.Notify.Listen.Length > 0 && !(IPEndPoint.TryParse(options.Notify.Listen, out var listen) && listen.Port > 0))
        {
            failures.Add($"Mail:Notify:Listen '{options.Notify.Listen}' is not address:port (such as 0.0.0.0:4191)");
        }

        foreach (var peer in options.Notify.Peers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!(IPEndPoint.TryParse(peer, out var endPoint) && endPoint.Port > 0))
            {
                failures.Add($"Mail:Notify:Peers: '{peer}' is not address:port (such as 10.0.1.5:4191)");
            }
        }

        var acme = options.Tls.Acme;
        if (acme.Enabled)
        {
            if (!string.IsNullOrWhiteSpace(options.Tls.CertificatePath))
            {
                failures.Add("Mail:Tls:Acme:Enabled and Mail:Tls:CertificatePath both name the certificate: choose one");
            }

            if (!Uri.TryCreate(acme.Directory, UriKind.Absolute, out var directory) || directory.Scheme != Uri.UriSchemeHttps)
            {
                failures.Add($"Mail:Tls:Acme:Directory '{acme.Directory}' is not an https URL (Let's Encrypt's: {Core.Configuration.AcmeOptions.LetsEncrypt})");
            }

            if (acme.RenewBefore <= TimeSpan.Zero || acme.CheckInterval < TimeSpan.FromSeconds(1) || acme.RetryAfter < TimeSpan.FromSeconds(1))
            {
                failures.Add("Mail:Tls:Acme:RenewBefore, CheckInterval and RetryAfter are positive times (CheckInterval and RetryAfter at least a second)");
            }

            if (!string.IsNullOrWhiteSpace(acme.CaFile) && !File.Exists(acme.CaFile))
            {
                failures.Add($"Mail:Tls:Acme:CaFile '{acme.CaFile}' does not exist");
            }
        }

        if (!IPAddress.TryParse(options.Listeners.MetricsAddress, out _))
        {
            failures.Add($"Mail:Listeners:MetricsAddress '{options.Listeners.MetricsAddress}' is not an IP address");
        }

        foreach (var proxy in options.Listeners.TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPAddress.TryParse(proxy, out _) && !IPNetwork.TryParse(proxy, out _))
            {
                failures.Add($"Mail:Listeners:TrustedProxies: '{proxy}' is not an IP address or a network (such as 10.0.0.0/8)");
            }
        }

        foreach (var (key, port) in Ports(options.Listeners))
        {
            if (port is < 0 or > 65535)
            {
                failures.Add($"Mail:Listeners:{key} {port} is not a port (1-65535, or 0 for off)");
            }
        }

        foreach (var clash in Ports(options.Listeners).Where(p => p.Port > 0).GroupBy(p => p.Port).Where(g => g.Count() > 1))
        {
            failures.Add($"Mail:Listeners:{string.Join(" and Mail:Listeners:", clash.Select(p => p.Key))} are all port {clash.Key}");
        }

        if (!options.Directory.IsMySql && !options.Directory.IsSqlite)
        {
            failures.Add($"Mail:Directory:Provider is '{options.Directory.Provider}'; expected 'Sqlite' or 'MySql'");
        }
        else if (options.Directory.IsMySql && string.IsNullOrWhiteSpace(options.Directory.ConnectionString))
        {
            failures.Add("Mail:Directory:ConnectionString is required when Mail:Directory:Provider is MySql");
        }

        try
        {
            PasswordService.ResolveConfiguredSchemes(options.Directory.DefaultPasswordScheme, options.Directory.NewPasswordScheme);
        }
        catch (ArgumentException e)
        {
            failures.Add(e.Message.Split(" (Parameter", 2)[0].TrimEnd('.'));
        }

        if (!string.IsNullOrWhiteSpace(options.Tls.KeyPath) && string.IsNullOrWhiteSpace(options.Tls.CertificatePath))
        {
            failures.Add("Mail:Tls:KeyPath is set without Mail:Tls:CertificatePath");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<(string Key, int Port)> Ports(ListenerOptions listeners) =>
    [
        ("Smtp", listeners.Smtp), ("Submission", listeners.Submission), ("Submissions", listeners.Submissions),
        ("Imap", listeners.Imap), ("Imaps", listeners.Imaps), ("Pop3", listeners.Pop3), ("Pop3s", listeners.Pop3s), ("Http", listeners.Http),
        ("Https", listeners.Https), ("ManageSieve", listeners.ManageSieve), ("Metrics", listeners.Metrics), ("AcmeHttp", listeners.AcmeHttp),
    ];
}

/// <summary>The queues: SQS needs both queue URLs and the bucket; retries need a sensible backoff.</summary>
public sealed class QueueOptionsValidation(IOptions<BlobOptions> blob) : IValidateOptions<QueueOptions>
{
    public ValidateOptionsResult Validate(string? name, QueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Provider == QueueProvider.Sqs)
        {
            foreach (var (key, value) in new[]
                     {
                         ("Mail:Queue:InboundUrl", options.InboundUrl), ("Mail:Queue:OutboundUrl", options.OutboundUrl),
                         ("Mail:Blob:Bucket", blob.Value.Bucket),
                     })
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    failures.Add($"Mail:Queue:Provider is Sqs but {key} is empty");
                }
            }
        }

        if (options.Workers < 1)
        {
            failures.Add($"Mail:Queue:Workers {options.Workers} must be at least 1");
        }

        if (options.MinBackoff > options.MaxBackoff)
        {
            failures.Add($"Mail:Queue:MinBackoff {options.MinBackoff} is longer than Mail:Queue:MaxBackoff {options.MaxBackoff}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>A smarthost needs its host.</summary>
public sealed class RelayOptionsValidation : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Mode == RelayMode.Smarthost && string.IsNullOrWhiteSpace(options.Host)
            ? ValidateOptionsResult.Fail("Mail:Relay:Mode is Smarthost but Mail:Relay:Host is empty")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>The defaults given to new domains and mailboxes must be usable.</summary>
public sealed class AdministrationOptionsValidation : IValidateOptions<AdministrationOptions>
{
    public ValidateOptionsResult Validate(string? name, AdministrationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Check(Action check)
        {
            try
            {
                check();
            }
            catch (AdministrationException e)
            {
                failures.Add(e.Message);
            }
        }

        Check(() => Sizes.Megabytes(options.DomainMaxQuota, "Mail:Admin:DomainMaxQuota"));
        Check(() => Sizes.Megabytes(options.DomainQuota, "Mail:Admin:DomainQuota"));
        foreach (var local in options.DefaultAliasLocalParts)
        {
            Check(() => DirectoryNames.LocalPart(local, "Mail:Admin:DefaultAliases"));
        }

        if (!string.IsNullOrWhiteSpace(options.DefaultAliasTarget))
        {
            Check(() => DirectoryNames.Address(options.DefaultAliasTarget, "Mail:Admin:DefaultAliasTarget"));
        }

        if (options.MinPasswordLength < 1)
        {
            failures.Add($"Mail:Admin:MinPasswordLength {options.MinPasswordLength} must be at least 1");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>No count, size or time in any section may be negative (a domain's -1 limits are not settings).</summary>
public sealed class NoNegativeSettings<T>(string section) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = typeof(T).GetProperties()
            .Where(p => p.SetMethod is { IsPublic: true })
            .Select(p => (p.Name, Value: p.GetValue(options)))
            .Where(p => p.Value is int and < 0 or long and < 0 || (p.Value is TimeSpan time && time < TimeSpan.Zero))
            .Select(p => $"{section}:{p.Name} is {p.Value}: it cannot be negative")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Quota warnings: whole percentages, and a language the server has texts for.</summary>
public sealed class QuotaWarningOptionsValidation : IValidateOptions<Functions.QuotaWarningOptions>
{
    public ValidateOptionsResult Validate(string? name, Functions.QuotaWarningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        try
        {
            options.Thresholds();
        }
        catch (ArgumentException e)
        {
            failures.Add(e.Message);
        }

        if (!Core.Administration.MailboxLanguages.Supported.Contains(options.DefaultLanguage))
        {
            failures.Add($"Mail:Quota:DefaultLanguage '{options.DefaultLanguage}' is not one of {string.Join(", ", Core.Administration.MailboxLanguages.Supported)}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
