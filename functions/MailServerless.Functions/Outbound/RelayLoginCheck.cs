using Microsoft.Extensions.Logging;
using MailServerless.Core.Secrets;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// At start-up, logs in to the smarthost once and says plainly when it refuses our credentials: otherwise every
/// outbound message would only be deferred, one log line each, until the queue's lifetime bounced them all.
/// </summary>
public sealed partial class RelayLoginCheck(IRelayTransport transport, RelayOptions options, ILogger<RelayLoginCheck> logger)
{
    /// <summary>False when there was nothing to check (Direct, or a smarthost without a login).</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        if (transport is not SmarthostTransport smarthost || string.IsNullOrEmpty(options.Username))
        {
            return false;
        }

        try
        {
            await smarthost.CheckLoginAsync(cancellationToken);
            LogAccepted(options.Host, options.EffectivePort);
        }
        catch (RelayConnectionException e) when (e.Status == SmarthostTransport.AuthenticationFailed)
        {
            LogRefused(options.Host, options.EffectivePort, e.Message);
        }
        catch (RelayConnectionException e)
        {
            LogUnchecked(options.Host, options.EffectivePort, e.Message);
        }
        catch (SecretUnavailableException e)
        {
            LogNoCredentials(e.Message);
        }

        return true;
    }

    [LoggerMessage(EventId = 4701, Level = LogLevel.Information, Message = "relay: smarthost {Host}:{Port} accepts our login")]
    private partial void LogAccepted(string host, int port);

    [LoggerMessage(EventId = 4702, Level = LogLevel.Error,
        Message = "relay: smarthost {Host}:{Port} REFUSES our login ({Reason}); no outbound mail can leave until Mail:Relay:Username and Mail:Relay:Password are right (with SES: SMTP credentials made in the SES console, not an access key)")]
    private partial void LogRefused(string host, int port, string reason);

    [LoggerMessage(EventId = 4703, Level = LogLevel.Warning, Message = "relay: could not check the login at smarthost {Host}:{Port} now: {Reason}")]
    private partial void LogUnchecked(string host, int port, string reason);

    [LoggerMessage(EventId = 4704, Level = LogLevel.Error, Message = "relay: the smarthost credentials cannot be read: {Reason}")]
    private partial void LogNoCredentials(string reason);
}
