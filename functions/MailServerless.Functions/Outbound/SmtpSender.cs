using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Authentication;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// Sends messages over SMTP with MailKit: at most <see cref="RelayOptions.MaxConnectionsPerDestination"/>
/// connections per destination, an idle connection reused for the next message to the same destination
/// (Postfix's connection cache), and every failure turned into a status a bounce can report.
/// </summary>
public sealed partial class SmtpSender(RelayOptions options, string heloName, TimeProvider clock, ILogger<SmtpSender> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, Destination> _destinations = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="recipients"/> through <paramref name="target"/>; a
    /// <see cref="RelayConnectionException"/> when no session came about (the caller may try another host).
    /// </summary>
    public async Task<IReadOnlyList<RecipientOutcome>> SendAsync(
        SmtpTarget target, string sender, IReadOnlyList<string> recipients, MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var destination = _destinations.GetOrAdd(target.Destination, _ => new Destination(Math.Max(1, options.MaxConnectionsPerDestination)));
        await destination.Slots.WaitAsync(cancellationToken);
        try
        {
            var client = destination.TakeIdle(clock.GetUtcNow() - options.ConnectionReuseTime);
            if (client is not null)
            {
                try
                {
                    return await SendOnAsync(client, destination, target, sender, recipients, message, cancellationToken);
                }
                catch (RelayConnectionException)
                {
                    // The kept connection had gone stale: try once more on a new one.
                }
            }

            client = await ConnectAsync(target, cancellationToken);
            return await SendOnAsync(client, destination, target, sender, recipients, message, cancellationToken);
        }
        finally
        {
            destination.Slots.Release();
        }
    }

    private async Task<IReadOnlyList<RecipientOutcome>> SendOnAsync(
        RelayClient client, Destination destination, SmtpTarget target, string sender, IReadOnlyList<string> recipients,
        MimeMessage message, CancellationToken cancellationToken)
    {
        var remote = target.Description;
        client.Refused.Clear();
        var keep = false;
        try
        {
            var reply = await client.SendAsync(
                FormatOptions.Default, message, Mailbox(sender), recipients.Select(Mailbox), cancellationToken);
            keep = true;
            return Outcomes(client, recipients, r => RecipientOutcome.Delivered(r, "250 " + reply, remote));
        }
        catch (SmtpCommandException e) when (e.ErrorCode == SmtpErrorCode.SenderNotAccepted)
        {
            return recipients.Select(r => RecipientOutcome.FromReply(r, (int)e.StatusCode, e.Message, remote)).ToList();
        }
        catch (SmtpCommandException e)
        {
            // Refused at DATA or after it (size, content): every recipient that got past RCPT shares the answer.
            return Outcomes(client, recipients, r => RecipientOutcome.FromReply(r, (int)e.StatusCode, e.Message, remote));
        }
        catch (NoRecipientAcceptedException)
        {
            return Outcomes(client, recipients, r => RecipientOutcome.Temporary(r, "4.0.0", "no reason given", remote));
        }
        catch (Exception e) when (e is IOException or SmtpProtocolException or ServiceNotConnectedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new RelayConnectionException("4.4.2", $"lost connection with {remote} while sending the message: {e.Message}", remote);
        }
        finally
        {
            if (keep && client.IsConnected)
            {
                destination.ReturnIdle(client, clock.GetUtcNow());
            }
            else
            {
                await DisconnectQuietlyAsync(client);
            }
        }
    }

    /// <summary>The refused recipients with their own RCPT answers, the others with <paramref name="accepted"/>.</summary>
    private static List<RecipientOutcome> Outcomes(RelayClient client, IReadOnlyList<string> recipients, Func<string, RecipientOutcome> accepted) =>
        recipients.Select(r => client.Refused.FirstOrDefault(x => string.Equals(x.Address, r, StringComparison.OrdinalIgnoreCase)) is { Response: { } refusal }
                ? RecipientOutcome.FromReply(r, (int)refusal.StatusCode, refusal.Response, null)
                : accepted(r))
            .ToList();

    /// <summary>The null sender is <c>MAIL FROM:&lt;&gt;</c>.</summary>
    private static MailboxAddress Mailbox(string address) => new(string.Empty, address);

    private async Task<RelayClient> ConnectAsync(SmtpTarget target, CancellationToken cancellationToken)
    {
        var remote = target.Description;
        var client = new RelayClient
        {
            LocalDomain = heloName,
            Timeout = (int)options.CommandTimeout.TotalMilliseconds,
            CheckCertificateRevocation = false,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        };
        if (!target.VerifyCertificate)
        {
            // Opportunistic TLS to an MX (Postfix's "may" level: encrypt, do not authenticate), or a smarthost
            // explicitly configured with Mail:Relay:AllowInvalidCertificate.
#pragma warning disable CA5359
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        var security = target.ImplicitTls ? SecureSocketOptions.SslOnConnect
            : target.RequireTls ? SecureSocketOptions.StartTls
            : SecureSocketOptions.StartTlsWhenAvailable;
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(options.ConnectTimeout);
        try
        {
            if (target.Address is { } address)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(address, target.Port, connectTimeout.Token);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                await client.ConnectAsync(socket, target.Host, target.Port, security, connectTimeout.Token);
            }
            else
            {
                await client.ConnectAsync(target.Host, target.Port, security, connectTimeout.Token);
            }

            if (!string.IsNullOrEmpty(target.Username))
            {
                await client.AuthenticateAsync(target.Username, target.Password ?? string.Empty, cancellationToken);
            }

            return client;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            await DisconnectQuietlyAsync(client);
            var failure = e switch
            {
                SslHandshakeException => new RelayConnectionException("4.7.5", $"TLS with {remote} failed (certificate not trusted or handshake refused): {e.Message}", remote),
                NotSupportedException when target.RequireTls && !client.IsSecure =>
                    new RelayConnectionException("4.7.4", $"TLS is required, but was not offered by {remote}", remote),
                NotSupportedException => new RelayConnectionException("4.7.0", $"{remote} does not offer authentication: {e.Message}", remote),
                MailKit.Security.AuthenticationException => new RelayConnectionException("4.7.8", $"SASL authentication failed with {remote}: {e.Message}", remote),
                SmtpCommandException command => new RelayConnectionException(
                    "4.4.2", $"{remote} refused the session: {(int)command.StatusCode} {command.Message}", remote),
                OperationCanceledException => new RelayConnectionException("4.4.1", $"connect to {remote}: timed out", remote),
                _ => new RelayConnectionException("4.4.1", $"connect to {remote}: {e.Message}", remote),
            };
            LogConnectFailed(remote, failure.Message);
            throw failure;
        }
    }

    private static async Task DisconnectQuietlyAsync(RelayClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.DisconnectAsync(true, quick.Token);
            }
        }
        catch (Exception e) when (e is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException or ServiceNotConnectedException)
        {
            // Gone already: nothing to close politely.
        }
        finally
        {
            client.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var destination in _destinations.Values)
        {
            while (destination.TakeIdle(DateTimeOffset.MinValue) is { } client)
            {
                client.Dispose();
            }

            destination.Slots.Dispose();
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "relay: {Remote}: {Reason}")]
    private partial void LogConnectFailed(string remote, string reason);

    /// <summary>One destination's connection slots and idle connections.</summary>
    private sealed class Destination(int limit)
    {
        private readonly ConcurrentStack<(RelayClient Client, DateTimeOffset Since)> _idle = new();

        public SemaphoreSlim Slots { get; } = new(limit, limit);

        /// <summary>An idle connection used no earlier than <paramref name="freshSince"/>; staler ones are closed.</summary>
        public RelayClient? TakeIdle(DateTimeOffset freshSince)
        {
            while (_idle.TryPop(out var idle))
            {
                if (idle.Since >= freshSince && idle.Client.IsConnected)
                {
                    return idle.Client;
                }

                idle.Client.Dispose();
            }

            return null;
        }

        public void ReturnIdle(RelayClient client, DateTimeOffset now) => _idle.Push((client, now));
    }
}
