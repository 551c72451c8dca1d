using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Protocol;
using MailServerless.EdgeServer.Smtp;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Registers the protocol layer (TLS certificate, auth throttle) and the SMTP, IMAP and POP3 services.</summary>
public static class SmtpHosting
{
    public static IServiceCollection AddMailProtocols(this IServiceCollection services)
    {
        services.AddSingleton<TlsCertificateProvider>();
        services.AddSingleton<AuthThrottle>();
        services.AddSingleton<SmtpPolicy>();
        services.AddHttpClient(nameof(Core.Spam.RspamdClient));
        services.AddSingleton(sp => new Core.Spam.RspamdClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(Core.Spam.RspamdClient)), sp.GetRequiredService<Core.Spam.SpamOptions>()));
        services.AddSingleton(sp =>
        {
            var mail = sp.GetRequiredService<MailOptions>();
            var authentication = sp.GetRequiredService<Core.Authentication.AuthenticationOptions>();
            return new InboundChecks(
                authentication, sp.GetRequiredService<Core.Spam.SpamOptions>(), sp.GetRequiredService<Core.Authentication.MessageAuthenticator>(),
                sp.GetRequiredService<Core.Spam.RspamdClient>(), sp.GetRequiredService<Core.Queue.IBlobStore>(),
                authentication.AuthServId.Length > 0 ? authentication.AuthServId : mail.EffectiveHostName, mail.EffectiveHostName,
                sp.GetRequiredService<ILogger<InboundChecks>>());
        });
        services.AddSingleton<SmtpServices>();
        services.AddSingleton<Pop3.Pop3Services>();
        services.AddSingleton<ManageSieve.ManageSieveServices>();
        services.AddSingleton<Imap.ImapServices>();
        services.AddHostedService<Imap.MailboxChangeListener>();
        return services;
    }

    /// <summary>The POP3 ports that are not 0: 110 with STLS and 995 with implicit TLS.</summary>
    public static IEnumerable<(string Name, int Port)> Pop3Ports(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new[] { ("pop3", options.Listeners.Pop3), ("pop3s", options.Listeners.Pop3s) }.Where(p => p.Item2 > 0);
    }

    /// <summary>The IMAP ports that are not 0: 143 with STARTTLS and 993 with implicit TLS.</summary>
    public static IEnumerable<(string Name, int Port)> ImapPorts(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new[] { ("imap", options.Listeners.Imap), ("imaps", options.Listeners.Imaps) }.Where(p => p.Item2 > 0);
    }

    /// <summary>The SMTP ports that are not 0: MX, submission (STARTTLS) and submissions (implicit TLS).</summary>
    public static IEnumerable<(string Name, int Port)> SmtpPorts(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new[] { ("smtp", options.Listeners.Smtp), ("submission", options.Listeners.Submission), ("submissions", options.Listeners.Submissions) }
            .Where(p => p.Item2 > 0);
    }
}
