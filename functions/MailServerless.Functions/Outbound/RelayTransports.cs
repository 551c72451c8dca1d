using MailServerless.Core.Secrets;
using MailServerless.Functions.Outbound.Security;
using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>
/// Everything through one relay (Postfix's <c>relayhost</c>): SES's SMTP interface, or any smarthost. Its username
/// and password may name secrets (<see cref="SecretSettings"/>), read again after the relay refuses them.
/// </summary>
public sealed class SmarthostTransport(RelayOptions options, SmtpSender sender, SecretSettings? secrets = null) : IRelayTransport
{
    private readonly SecretSettings _secrets = secrets ?? SecretSettings.None;

    /// <summary>Connects, logs in and quits, to tell at start-up whether the relay takes our credentials.</summary>
    /// <exception cref="RelayConnectionException">It cannot be reached, or refuses TLS or the login (status 4.7.8).</exception>
    public async Task CheckLoginAsync(CancellationToken cancellationToken) =>
        await sender.CheckLoginAsync(await TargetAsync(cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<RecipientOutcome>> SendAsync(
        string envelopeSender, IReadOnlyList<string> recipients, MimeMessage message, SendRequests requests, CancellationToken cancellationToken)
    {
        try
        {
            return await sender.SendAsync(await TargetAsync(cancellationToken), envelopeSender, recipients, message, requests, cancellationToken);
        }
        catch (SecretUnavailableException e)
        {
            return recipients.Select(r => RecipientOutcome.Temporary(r, "4.7.0", e.Message, null)).ToList();
        }
        catch (RelayConnectionException e)
        {
            if (e.Status == AuthenticationFailed)
            {
                // Perhaps rotated: the next message reads the credentials again.
                _secrets.Forget(options.Username);
                _secrets.Forget(options.Password);
            }

            // A relay that cannot be reached, will not do TLS or refuses our login is our problem, not the
            // recipient's: try again later (Postfix defers on these too).
            return recipients.Select(r => RecipientOutcome.Temporary(r, e.TemporaryStatus, e.Message, e.RemoteMta)).ToList();
        }
    }

    /// <summary>RFC 3463's status for a refused login (SMTP 535 5.7.8, which a relay we log in to gives).</summary>
    public const string AuthenticationFailed = "4.7.8";

    private async Task<SmtpTarget> TargetAsync(CancellationToken cancellationToken) => new(
        options.Host, null, options.EffectivePort, ImplicitTls: options.EffectivePort == 465, options.EffectiveRequireTls,
        VerifyCertificate: !options.AllowInvalidCertificate,
        await _secrets.ResolveAsync(options.Username, "Mail:Relay:Username", cancellationToken),
        await _secrets.ResolveAsync(options.Password, "Mail:Relay:Password", cancellationToken));
}

/// <summary>
/// Straight to each recipient domain's MX hosts, in preference order, with STARTTLS when offered, or as the domain's
/// DANE records or MTA-STS policy require (<see cref="TransportSecurity"/>).
/// </summary>
public sealed class DirectTransport(RelayOptions options, MxResolver resolver, SmtpSender sender, TransportSecurity security) : IRelayTransport
{
    public async Task<IReadOnlyList<RecipientOutcome>> SendAsync(
        string envelopeSender, IReadOnlyList<string> recipients, MimeMessage message, SendRequests requests, CancellationToken cancellationToken)
    {
        var outcomes = new List<RecipientOutcome>();
        foreach (var group in recipients.GroupBy(DomainOf, StringComparer.OrdinalIgnoreCase))
        {
            var list = group.ToList();
            var route = await resolver.ResolveAsync(group.Key, list[0], cancellationToken);
            if (route.Failure is { } failure)
            {
                outcomes.AddRange(list.Select(r => failure with { Recipient = r }));
                continue;
            }

            try
            {
                outcomes.AddRange(await SendToDomainAsync(group.Key, route, envelopeSender, list, message, requests, cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Whatever went wrong with this domain, the others' outcomes stand: only its recipients wait.
                outcomes.AddRange(list.Select(r => RecipientOutcome.Temporary(r, "4.4.0", $"delivery to {group.Key} failed: {e.Message}".ReplaceLineEndings(" "))));
            }
        }

        return outcomes;
    }

    /// <summary>Addresses tried per domain and message (Postfix's <c>smtp_mx_address_limit</c>): a domain of dead hosts cannot hold a worker for long.</summary>
    private const int MaxAddressesTried = 5;

    /// <summary>
    /// Each address of each MX in turn until one takes the session; when none does, the last reason for all. A host
    /// the domain's policy rules out is passed over, and if every host is, the mail waits (RFC 8461 §5: a temporary failure).
    /// </summary>
    private async Task<IReadOnlyList<RecipientOutcome>> SendToDomainAsync(
        string domain, MxRoute route, string envelopeSender, IReadOnlyList<string> recipients, MimeMessage message, SendRequests requests,
        CancellationToken cancellationToken)
    {
        // RFC 8689 §5: "TLS-Required: No" asks that MTA-STS and DANE failures not stop the message (TLS is still
        // used when offered); REQUIRETLS, when also asked for, wins (§4.1).
        var relaxed = !requests.RequireTls && string.Equals(message.Headers["TLS-Required"]?.Trim(), "No", StringComparison.OrdinalIgnoreCase);
        var policy = relaxed ? null : await security.PolicyAsync(domain, cancellationToken);
        RelayConnectionException? last = null;
        var tried = 0;
        foreach (var host in route.Hosts)
        {
            var rules = relaxed ? HostSecurity.Opportunistic : await security.ForHostAsync(host, domain, policy, cancellationToken);
            if (rules.Refusal is not null)
            {
                last = new RelayConnectionException("4.7.5", rules.Refusal, host.Host);
                continue;
            }

            foreach (var address in host.Addresses)
            {
                if (tried++ >= MaxAddressesTried)
                {
                    break;
                }

                var target = new SmtpTarget(
                    host.Host, address, options.EffectivePort, ImplicitTls: false, options.EffectiveRequireTls || rules.RequireTls, rules.VerifyCertificate)
                {
                    Tlsa = rules.Tlsa,
                    PolicyType = rules.PolicyType,
                };
                try
                {
                    return await sender.SendAsync(target, envelopeSender, recipients, message, requests, cancellationToken);
                }
                catch (RelayConnectionException e)
                {
                    last = e;
                }
            }
        }

        return recipients.Select(r => RecipientOutcome.Temporary(r, last?.TemporaryStatus ?? "4.4.1", last?.Message ?? "no MX host could be tried", last?.RemoteMta)).ToList();
    }

    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..];
}
