using System.Collections.Concurrent;
using MailServerless.Functions.Outbound.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// Sends messages over SMTP with MailKit: at most <see cref="RelayOptions.MaxConnectionsPerDestination"/>
/// connections per destination, an idle connection reused for the next message to the same destination
/// (Postfix's connection cache), and every failure turned into a status a bounce can report. A certificate is
/// checked as the target asks: not at all (opportunistic TLS), against certificate authorities, or against TLSA records.
/// </summary>
public sealed partial class SmtpSender(RelayOptions options, string heloName, TimeProvider clock, ILogger<SmtpSender> logger, CertificateTrust? trust = null)
    : IDisposable
{
    private readonly CertificateTrust _trust = trust ?? new CertificateTrust(options.CaFile);
    private readonly ConcurrentDictionary<string, Destination> _destinations = new(StringComparer.OrdinalIgnoreCase);
    private long _lastSweep;

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="recipients"/> through <paramref name="target"/>; a
    /// <see cref="RelayConnectionException"/> when no session came about (the caller may try another host).
    /// </summary>
    public async Task<IReadOnlyList<RecipientOutcome>> SendAsync(
        SmtpTarget target, string sender, IReadOnlyList<string> recipients, MimeMessage message, SendRequests requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.RequireTls)
        {
            // RFC 8689 §4.2.1: TLS, and a certificate that names the host; an opportunistic session kept idle will not do.
            target = target with { RequireTls = true, VerifyCertificate = true };
        }

        SweepIdle();
        var destination = _destinations.GetOrAdd(target.Destination, _ => new Destination(Math.Max(1, options.MaxConnectionsPerDestination)));
        await destination.Slots.WaitAsync(cancellationToken);
        try
        {
            var client = requests.RequireTls ? null : destination.TakeIdle(clock.GetUtcNow() - options.ConnectionReuseTime);
            if (client is not null)
            {
                try
                {
                    return await SendOnAsync(client, destination, target, sender, recipients, message, requests, cancellationToken);
                }
                catch (RelayConnectionException)
                {
                    // The kept connection had gone stale before any of the message went out: try once more on a new one.
                }
            }

            client = await ConnectAsync(target, PolicyDomain(recipients, target), cancellationToken);
            return await SendOnAsync(client, destination, target, sender, recipients, message, requests, cancellationToken);
        }
        finally
        {
            destination.Slots.Release();
        }
    }

    private async Task<IReadOnlyList<RecipientOutcome>> SendOnAsync(
        RelayClient client, Destination destination, SmtpTarget target, string sender, IReadOnlyList<string> recipients,
        MimeMessage message, SendRequests requests, CancellationToken cancellationToken)
    {
        var remote = target.Description;
        client.Refused.Clear();
        client.Dsn = requests.Dsn;
        client.RequireTLS = requests.RequireTls;
        var keep = false;
        if (requests.RequireTls && !client.Capabilities.HasFlag(SmtpCapabilities.RequireTLS))
        {
            // RFC 8689 §4.2.1: a next hop that does not promise REQUIRETLS further does not get the message.
            await DisconnectQuietlyAsync(client);
            return recipients.Select(r => RecipientOutcome.Permanent(r, "5.7.30", $"REQUIRETLS support required: {remote} does not offer REQUIRETLS", remote)).ToList();
        }

        var progress = new TransferWatch();
        try
        {
            var reply = await client.SendAsync(
                FormatOptions.Default, message, Mailbox(sender), recipients.Select(Mailbox), cancellationToken, progress);
            keep = true;
            // A next hop that takes DSN has the requests now and will send the notices (RFC 3461 §6.2.2).
            var passedOn = requests.Dsn is not null && client.Capabilities.HasFlag(SmtpCapabilities.Dsn);
            return Outcomes(client, recipients, remote, r => RecipientOutcome.Delivered(r, "250 " + reply, remote) with { DsnPassedOn = passedOn });
        }
        catch (SmtpCommandException e) when (e.ErrorCode == SmtpErrorCode.SenderNotAccepted)
        {
            return recipients.Select(r => RecipientOutcome.FromReply(r, (int)e.StatusCode, e.Message, remote)).ToList();
        }
        catch (SmtpCommandException e)
        {
            // Refused at DATA or after it (size, content): every recipient that got past RCPT shares the answer.
            return Outcomes(client, recipients, remote, r => RecipientOutcome.FromReply(r, (int)e.StatusCode, e.Message, remote));
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = $"lost connection with {remote} while sending the message: {e.Message}".ReplaceLineEndings(" ");
            if (progress.Started)
            {
                // Some of the message went out and the answer was lost: it may have been taken. Neither this
                // host nor another gets it now; it is tried again later (a duplicate is better than a loss, RFC 1047).
                return recipients.Select(r => RecipientOutcome.Temporary(r, "4.4.2", reason, remote)).ToList();
            }

            throw new RelayConnectionException("4.4.2", reason, remote);
        }
        finally
        {
            if (keep && client.IsConnected && !requests.RequireTls)
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
    private static List<RecipientOutcome> Outcomes(RelayClient client, IReadOnlyList<string> recipients, string remote, Func<string, RecipientOutcome> accepted) =>
        recipients.Select(r => client.Refused.FirstOrDefault(x => string.Equals(x.Address, r, StringComparison.OrdinalIgnoreCase)) is { Response: { } refusal }
                ? RecipientOutcome.FromReply(r, (int)refusal.StatusCode, refusal.Response, remote)
                : accepted(r))
            .ToList();

    /// <summary>The null sender is <c>MAIL FROM:&lt;&gt;</c>.</summary>
    private static MailboxAddress Mailbox(string address) => new(string.Empty, address);

    /// <summary>The domain a TLS report is about: the recipients' (RFC 8460 §4.3 policy-domain).</summary>
    private static string PolicyDomain(IReadOnlyList<string> recipients, SmtpTarget target) =>
        recipients.Count > 0 && recipients[0].LastIndexOf('@') is var at and >= 0 ? recipients[0][(at + 1)..] : target.Host;

    /// <summary>Connects to <paramref name="target"/>, logs in and quits: the check made at start-up.</summary>
    /// <exception cref="RelayConnectionException">As for a send: unreachable, TLS refused, or the login refused (4.7.8).</exception>
    public async Task CheckLoginAsync(SmtpTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var client = await ConnectAsync(target, target.Host, cancellationToken);
        await DisconnectQuietlyAsync(client);
    }

    private async Task<RelayClient> ConnectAsync(SmtpTarget target, string policyDomain, CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectAsync(target, policyDomain, target.ImplicitTls ? SecureSocketOptions.SslOnConnect
                : target.RequireTls ? SecureSocketOptions.StartTls
                : SecureSocketOptions.StartTlsWhenAvailable, cancellationToken);
        }
        catch (RelayConnectionException e) when (e.Status == "4.7.5" && !target.RequireTls && !target.ImplicitTls)
        {
            // Opportunistic TLS that fails (an old server, a broken certificate chain): plaintext, as
            // Postfix's "may" level does, rather than no delivery at all.
            return await ConnectAsync(target, policyDomain, SecureSocketOptions.None, cancellationToken);
        }
    }

    private async Task<RelayClient> ConnectAsync(SmtpTarget target, string policyDomain, SecureSocketOptions security, CancellationToken cancellationToken)
    {
        var remote = target.Description;
        var client = new RelayClient
        {
            LocalDomain = heloName,
            Timeout = (int)options.CommandTimeout.TotalMilliseconds,
            CheckCertificateRevocation = false,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        };
        string? certificateProblem = null;
        if (!target.VerifyCertificate && target.Tlsa is null)
        {
            // Opportunistic TLS to an MX (Postfix's "may" level: encrypt, do not authenticate), or a smarthost
            // explicitly configured with Mail:Relay:AllowInvalidCertificate. Under an MTA-STS policy in testing mode
            // the certificate is checked all the same, and what is wrong reported, not acted on (RFC 8461 §5).
            var testing = target.PolicyType == "sts";
#pragma warning disable CA5359
            client.ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                certificateProblem = testing ? _trust.Problem(certificate, chain, errors) : null;
                return true;
            };
#pragma warning restore CA5359
        }
        else
        {
            // DANE's records or the certificate authorities' verdict, kept to say in the TLS report what was wrong.
            client.ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                certificateProblem = target.Tlsa is { } tlsa
                    ? DaneVerification.Verifies(tlsa, certificate, chain, target.Host) ? null : "validation-failure"
                    : _trust.Problem(certificate, chain, errors);
                return certificateProblem is null;
            };
        }

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

            if (client.IsSecure && certificateProblem is not null)
            {
                LogTlsFailure(new TlsFailureReport(certificateProblem, target.Host, target.Address?.ToString(), policyDomain,
                    $"the certificate of {remote} does not verify; the MTA-STS policy is in testing mode, so the mail went all the same") { PolicyType = "sts" }.ToJson());
            }

            if (client.IsSecure)
            {
                // As Postfix's smtp(8) says it: "Verified" when DANE or a certificate authority vouched for the server
                // under its name, "Untrusted" when TLS only encrypts (opportunistic, or a test relay let through).
                LogTlsEstablished(target.VerifyCertificate || target.Tlsa is not null ? "Verified" : "Untrusted", remote, client.SslProtocol, client.SslCipherSuite);
            }

            return client;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            await DisconnectQuietlyAsync(client);
            var failure = e switch
            {
                SslHandshakeException when target.Tlsa is not null && certificateProblem is not null => new RelayConnectionException(
                    "4.7.5", $"TLS with {remote} failed: no TLSA record of {target.Host} matches its certificate (DANE)", remote),
                SslHandshakeException when certificateProblem is not null => new RelayConnectionException(
                    "4.7.5", $"TLS with {remote} failed: its certificate does not verify ({certificateProblem}){PolicyNote(target)}", remote),
                SslHandshakeException => new RelayConnectionException(
                    "4.7.5", $"TLS with {remote} failed (certificate not trusted or handshake refused): {e.Message}".ReplaceLineEndings(" "), remote),
                NotSupportedException when target.RequireTls && !client.IsSecure =>
                    new RelayConnectionException("4.7.4", $"TLS is required, but was not offered by {remote}{PolicyNote(target)}", remote),
                NotSupportedException => new RelayConnectionException("4.7.0", $"{remote} does not offer authentication: {e.Message}", remote),
                MailKit.Security.AuthenticationException => new RelayConnectionException("4.7.8", $"SASL authentication failed with {remote}: {e.Message}", remote),
                SmtpCommandException command => new RelayConnectionException(
                    "4.4.2", $"{remote} refused the session: {(int)command.StatusCode} {command.Message}", remote),
                OperationCanceledException or TimeoutException => new RelayConnectionException("4.4.1", $"connect to {remote}: timed out", remote),
                _ => new RelayConnectionException("4.4.1", $"connect to {remote}: {e.Message}".ReplaceLineEndings(" "), remote),
            };
            LogConnectFailed(remote, failure.Message);
            var resultType = e switch
            {
                SslHandshakeException => certificateProblem ?? "validation-failure",
                NotSupportedException when target.RequireTls && !client.IsSecure => "starttls-not-supported",
                _ => null,
            };
            if (resultType is not null)
            {
                LogTlsFailure(new TlsFailureReport(resultType, target.Host, target.Address?.ToString(), policyDomain, failure.Message)
                    { PolicyType = target.PolicyType }.ToJson());
            }

            throw failure;
        }
    }

    /// <summary>Which policy asked for what the server did not give, for the bounce and the log.</summary>
    private static string PolicyNote(SmtpTarget target) => target.PolicyType switch
    {
        "sts" => " (required by MTA-STS)",
        "tlsa" => " (required by DANE)",
        _ => string.Empty,
    };

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

    /// <summary>At most every 30 s: closes idle connections past their reuse time and forgets empty destinations.</summary>
    private void SweepIdle()
    {
        var now = clock.GetTimestamp();
        var last = Interlocked.Read(ref _lastSweep);
        if (clock.GetElapsedTime(last, now) < TimeSpan.FromSeconds(30) || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        var stale = clock.GetUtcNow() - options.ConnectionReuseTime;
        foreach (var (key, destination) in _destinations)
        {
            destination.CloseStale(stale);
            if (destination.IsUnused)
            {
                _destinations.TryRemove(key, out _);
            }
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

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "tls-rpt failure {Report}")]
    private partial void LogTlsFailure(string report);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "relay: {Level} TLS connection established to {Remote}: {Protocol} with cipher {Cipher}")]
    private partial void LogTlsEstablished(string level, string remote, SslProtocols protocol, System.Net.Security.TlsCipherSuite? cipher);

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

        /// <summary>No connection in use and none idle (a removed destination's semaphore is simply dropped).</summary>
        public bool IsUnused => _idle.IsEmpty && Slots.CurrentCount == limit;

        public void CloseStale(DateTimeOffset freshSince)
        {
            var keep = new List<(RelayClient, DateTimeOffset)>();
            while (_idle.TryPop(out var idle))
            {
                if (idle.Since >= freshSince && idle.Client.IsConnected)
                {
                    keep.Add(idle);
                }
                else
                {
                    idle.Client.Dispose();
                }
            }

            foreach (var idle in Enumerable.Reverse(keep))
            {
                _idle.Push(idle);
            }
        }
    }

    /// <summary>Tells whether any of the message has gone out (then a lost answer must not lead to a second copy at once).</summary>
    private sealed class TransferWatch : ITransferProgress
    {
        private long _bytes;

        public bool Started => Interlocked.Read(ref _bytes) > 0;

        public void Report(long bytesTransferred, long totalSize) => Interlocked.Exchange(ref _bytes, bytesTransferred);

        public void Report(long bytesTransferred) => Interlocked.Exchange(ref _bytes, bytesTransferred);
    }
}
