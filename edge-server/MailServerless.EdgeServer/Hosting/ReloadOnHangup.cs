using System.Diagnostics;
using System.Runtime.InteropServices;
using MailServerless.Core.Accounts;

namespace MailServerless.EdgeServer.Hosting;

/// <summary>
/// SIGHUP (<c>systemctl reload</c>), as Postfix's and Dovecot's <c>reload</c>: the certificate files are read again
/// now (one renewed by certbot), the ACME certificate is looked at, and the settings files are read again for what
/// can change while running: the log levels (<c>Logging</c>). Every other setting is read at start, as the listeners
/// and the directory are made from them: those need a restart. Under <c>Type=notify-reload</c> the service manager
/// hears <c>RELOADING=1</c>, then <c>READY=1</c> once done.
/// </summary>
public static partial class ReloadOnHangup
{
    public static IDisposable? Register(WebApplication app, ServiceManagerNotifier? notifier)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ReloadOnHangup).FullName!);
        var reloading = new SemaphoreSlim(1, 1);
        return PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Not the default (the process would end): a reload.
            context.Cancel = true;
            _ = Task.Run(async () =>
            {
                await reloading.WaitAsync();
                try
                {
                    Reload(app, notifier, logger);
                }
                finally
                {
                    reloading.Release();
                }
            });
        });
    }

    private static void Reload(WebApplication app, ServiceManagerNotifier? notifier, ILogger logger)
    {
        // sd_notify(3): RELOADING=1 with the monotonic clock's time, in microseconds.
        notifier?.Notify($"RELOADING=1\nMONOTONIC_USEC={Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000)}");
        try
        {
            try
            {
                ((IConfigurationRoot)app.Configuration).Reload();
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or IOException or System.Text.Json.JsonException)
            {
                // A settings file that does not parse: the settings read before stay.
                LogSettingsRefused(logger, e.Message);
            }

            try
            {
                var certificate = app.Services.GetRequiredService<Protocol.TlsCertificateProvider>().Reload();
                LogReloaded(logger, certificate.Subject, certificate.SerialNumber, certificate.NotAfter.ToUniversalTime());
            }
            catch (DirectoryConfigurationException e)
            {
                LogCertificateRefused(logger, e.Message);
            }

            app.Services.GetRequiredService<Acme.AcmeCertificates>().CheckNow();
        }
        finally
        {
            notifier?.Notify("READY=1");
        }
    }

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information,
        Message = "reload (SIGHUP): settings files read again (log levels); serving {Subject}, serial {Serial}, valid until {NotAfter:yyyy-MM-dd HH:mm} UTC")]
    private static partial void LogReloaded(ILogger logger, string subject, string serial, DateTime notAfter);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Error, Message = "reload (SIGHUP): a settings file cannot be read, the settings stay as they were: {Reason}")]
    private static partial void LogSettingsRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Error, Message = "reload (SIGHUP): the certificate cannot be loaded, the one served so far stays: {Reason}")]
    private static partial void LogCertificateRefused(ILogger logger, string reason);
}
