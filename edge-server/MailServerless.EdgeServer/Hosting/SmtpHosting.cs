using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Protocol;
using MailServerless.EdgeServer.Smtp;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>Registers the protocol layer (TLS certificate, auth throttle) and the SMTP services.</summary>
public static class SmtpHosting
{
    public static IServiceCollection AddMailProtocols(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(configuration.GetSection("Mail:Smtp").Get<SmtpOptions>() ?? new SmtpOptions());
        services.AddSingleton(configuration.GetSection("Mail:Auth").Get<AuthThrottleOptions>() ?? new AuthThrottleOptions());
        services.AddSingleton<TlsCertificateProvider>();
        services.AddSingleton<AuthThrottle>();
        services.AddSingleton<SmtpPolicy>();
        services.AddSingleton<SmtpServices>();
        return services;
    }

    /// <summary>The SMTP ports that are not 0: MX, submission (STARTTLS) and submissions (implicit TLS).</summary>
    public static IEnumerable<(string Name, int Port)> SmtpPorts(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new[] { ("smtp", options.Listeners.Smtp), ("submission", options.Listeners.Submission), ("submissions", options.Listeners.Submissions) }
            .Where(p => p.Item2 > 0);
    }
}
