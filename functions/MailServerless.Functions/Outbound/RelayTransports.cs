using MimeKit;

namespace MailServerless.Functions.Outbound;

/// <summary>Everything through one relay (Postfix's <c>relayhost</c>): SES's SMTP interface, or any smarthost.</summary>
public sealed class SmarthostTransport(RelayOptions options, SmtpSender sender) : IRelayTransport
{
    private readonly SmtpTarget _target = new(
        options.Host, null, options.EffectivePort, ImplicitTls: options.EffectivePort == 465, options.EffectiveRequireTls,
        VerifyCertificate: !options.AllowInvalidCertificate, options.Username, options.Password);

    public async Task<IReadOnlyList<RecipientOutcome>> SendAsync(
        string envelopeSender, IReadOnlyList<string> recipients, MimeMessage message, SendRequests requests, CancellationToken cancellationToken)
    {
        try
        {
            return await sender.SendAsync(_target, envelopeSender, recipients, message, requests, cancellationToken);
        }
        catch (RelayConnectionException e)
        {
            // A relay that cannot be reached, will not do TLS or refuses our login is our problem, not the
            // recipient's: try again later (Postfix defers on these too).
            return recipients.Select(r => RecipientOutcome.Temporary(r, e.TemporaryStatus, e.Message, e.RemoteMta)).ToList();
        }
    }
}

/// <summary>Straight to each recipient domain's MX hosts, in preference order, with STARTTLS when offered.</summary>
public sealed class DirectTransport(RelayOptions options, MxResolver resolver, SmtpSender sender) : IRelayTransport
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
                outcomes.AddRange(await SendToDomainAsync(route, envelopeSender, list, message, requests, cancellationToken));
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

    /// <summary>Each address of each MX in turn until one takes the session; when none does, the last reason for all.</summary>
    private async Task<IReadOnlyList<RecipientOutcome>> SendToDomainAsync(
        MxRoute route, string envelopeSender, IReadOnlyList<string> recipients, MimeMessage message, SendRequests requests, CancellationToken cancellationToken)
    {
        RelayConnectionException? last = null;
        foreach (var (host, address) in route.Hosts.SelectMany(h => h.Addresses.Select(a => (h.Host, a))).Take(MaxAddressesTried))
        {
            var target = new SmtpTarget(host, address, options.EffectivePort, ImplicitTls: false, options.EffectiveRequireTls, VerifyCertificate: false);
            try
            {
                return await sender.SendAsync(target, envelopeSender, recipients, message, requests, cancellationToken);
            }
            catch (RelayConnectionException e)
            {
                last = e;
            }
        }

        return recipients.Select(r => RecipientOutcome.Temporary(r, last?.TemporaryStatus ?? "4.4.1", last?.Message ?? "no MX host could be tried", last?.RemoteMta)).ToList();
    }

    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..];
}
