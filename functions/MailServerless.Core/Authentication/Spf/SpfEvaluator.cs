using System.Net;
using System.Net.Sockets;
using MailServerless.Core.Dns;

namespace MailServerless.Core.Authentication.Spf;

/// <summary>
/// SPF's <c>check_host()</c> (RFC 7208 §4): every mechanism and modifier, macros, the limit of 10 terms that cause
/// DNS look-ups and of 2 void look-ups (§4.6.4), and the explanation of a fail (<c>exp=</c>, §6.2). A resolver that
/// does not answer gives temperror, never none.
/// </summary>
public sealed class SpfEvaluator(IDnsLookup dns, string receiver, TimeProvider? clock = null)
{
    public const int MaxDnsTerms = 10;
    public const int MaxVoidLookups = 2;
    private const int MaxAddressesPerName = 10;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly IDnsLookup _dns = dns;
    private readonly string _receiver = receiver;

    /// <summary>
    /// Checks the MAIL FROM identity, or the HELO identity for the null sender (§2.3, §2.4): a sender without a
    /// local-part is <c>postmaster@</c> its domain.
    /// </summary>
    public async Task<SpfOutcome> CheckAsync(IPAddress client, string helo, string mailFrom, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(helo);
        ArgumentNullException.ThrowIfNull(mailFrom);
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        var identity = mailFrom.Length > 0 ? "mailfrom" : "helo";
        var sender = mailFrom.Length > 0 ? mailFrom : "postmaster@" + helo;
        var at = sender.LastIndexOf('@');
        if (at < 0)
        {
            sender = "postmaster@" + sender;
            at = sender.LastIndexOf('@');
        }
        else if (at == 0)
        {
            sender = "postmaster" + sender;
            at = sender.LastIndexOf('@');
        }

        var domain = sender[(at + 1)..];
        var check = new Check(this, client, sender, helo, cancellationToken);
        var (result, explanation, problem) = await check.RunAsync(domain);
        return new SpfOutcome(result, identity, domain, sender, explanation, problem);
    }

    /// <summary>One evaluation, with the look-up counts shared by its includes and redirects.</summary>
    private sealed class Check(SpfEvaluator owner, IPAddress client, string sender, string helo, CancellationToken cancellationToken)
    {
        private int _terms;
        private int _voids;
        private string? _validatedName;

        public async Task<(AuthResult Result, string? Explanation, string? Problem)> RunAsync(string domain)
        {
            try
            {
                var (result, explanation) = await CheckHostAsync(domain, top: true);
                return (result, explanation, null);
            }
            catch (SpfSyntaxException e)
            {
                return (AuthResult.PermError, null, e.Message);
            }
            catch (SpfLimitException e)
            {
                return (AuthResult.PermError, null, e.Message);
            }
            catch (SpfTemporaryException e)
            {
                return (AuthResult.TempError, null, e.Message);
            }
        }

        private async Task<(AuthResult Result, string? Explanation)> CheckHostAsync(string domain, bool top)
        {
            if (!IsValidDomain(domain))
            {
                return (AuthResult.None, null);
            }

            var answer = await owner._dns.TxtAsync(domain, cancellationToken);
            if (answer.Status == DnsStatus.Failed)
            {
                throw new SpfTemporaryException($"SPF record look-up for {domain} failed");
            }

            var texts = answer.Records.Where(SpfRecord.IsSpf).ToList();
            if (texts.Count == 0)
            {
                return (AuthResult.None, null);
            }

            if (texts.Count > 1)
            {
                throw new SpfSyntaxException($"{domain} has {texts.Count} SPF records");
            }

            var record = SpfRecord.Parse(texts[0]);
            var context = Context(domain);
            foreach (var mechanism in record.Mechanisms)
            {
                if (await MatchesAsync(mechanism, context))
                {
                    var result = mechanism.Qualifier switch
                    {
                        '-' => AuthResult.Fail,
                        '~' => AuthResult.SoftFail,
                        '?' => AuthResult.Neutral,
                        _ => AuthResult.Pass,
                    };
                    return (result, result == AuthResult.Fail && top ? await ExplainAsync(record, context) : null);
                }
            }

            if (record.Redirect is { } redirect)
            {
                Count();
                var target = await SpfMacro.ExpandAsync(redirect, context, explanation: false, domain: true);
                var (result, explanation) = await CheckHostAsync(target, top);
                // §6.1: a redirect to a domain with no SPF record is a permerror.
                return result == AuthResult.None ? throw new SpfSyntaxException($"redirect to {target}, which has no SPF record") : (result, explanation);
            }

            return (AuthResult.Neutral, null);
        }

        private async Task<bool> MatchesAsync(SpfMechanism mechanism, SpfMacroContext context)
        {
            switch (mechanism.Name)
            {
                case "all":
                    return true;
                case "ip4":
                case "ip6":
                    return InNetwork(client, mechanism.Network!, client.AddressFamily == AddressFamily.InterNetwork ? mechanism.Cidr4 : mechanism.Cidr6);
                case "include":
                {
                    Count();
                    var target = await TargetAsync(mechanism, context);
                    var (result, _) = await CheckHostAsync(target, top: false);
                    return result switch
                    {
                        AuthResult.Pass => true,
                        AuthResult.Fail or AuthResult.SoftFail or AuthResult.Neutral => false,
                        AuthResult.TempError => throw new SpfTemporaryException($"include:{target} failed for now"),
                        _ => throw new SpfSyntaxException($"include:{target} has no usable SPF record"),
                    };
                }

                case "a":
                {
                    Count();
                    var target = await TargetAsync(mechanism, context);
                    var addresses = await AddressesAsync(target, client.AddressFamily == AddressFamily.InterNetworkV6, countVoid: true);
                    return addresses.Any(a => InNetwork(client, a, Cidr(mechanism)));
                }

                case "mx":
                {
                    Count();
                    var target = await TargetAsync(mechanism, context);
                    var mx = await LookupAsync(() => owner._dns.MxAsync(target, cancellationToken), target, "MX", countVoid: true);
                    if (mx.Count > MaxAddressesPerName)
                    {
                        throw new SpfLimitException($"{target} has more than {MaxAddressesPerName} MX records");
                    }

                    foreach (var host in mx)
                    {
                        var addresses = await AddressesAsync(host.Host, client.AddressFamily == AddressFamily.InterNetworkV6, countVoid: false);
                        if (addresses.Any(a => InNetwork(client, a, Cidr(mechanism))))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                case "ptr":
                {
                    Count();
                    var target = (await TargetAsync(mechanism, context)).TrimEnd('.');
                    var names = await ValidatedNamesAsync(countVoid: true);
                    return names.Any(n => n.Equals(target, StringComparison.OrdinalIgnoreCase) ||
                                          n.EndsWith("." + target, StringComparison.OrdinalIgnoreCase));
                }

                case "exists":
                {
                    Count();
                    var target = await TargetAsync(mechanism, context);
                    // §5.7: always an A query, whatever the client's address family.
                    return (await AddressesAsync(target, ipv6: false, countVoid: true)).Count > 0;
                }

                default:
                    throw new SpfSyntaxException($"unknown mechanism {mechanism.Name}");
            }
        }

        private int Cidr(SpfMechanism mechanism) => client.AddressFamily == AddressFamily.InterNetwork ? mechanism.Cidr4 : mechanism.Cidr6;

        private static async Task<string> TargetAsync(SpfMechanism mechanism, SpfMacroContext context) =>
            mechanism.DomainSpec is { } spec ? await SpfMacro.ExpandAsync(spec, context, explanation: false, domain: true) : context.Domain;

        private async Task<IReadOnlyList<IPAddress>> AddressesAsync(string name, bool ipv6, bool countVoid) =>
            await LookupAsync(() => owner._dns.AddressesAsync(name, ipv6, cancellationToken), name, ipv6 ? "AAAA" : "A", countVoid);

        private async Task<IReadOnlyList<T>> LookupAsync<T>(Func<Task<DnsResult<T>>> query, string name, string type, bool countVoid)
        {
            if (!IsValidDomain(name))
            {
                return [];
            }

            var answer = await query();
            if (answer.Status == DnsStatus.Failed)
            {
                throw new SpfTemporaryException($"{type} look-up for {name} failed");
            }

            if (answer.IsEmpty && countVoid && ++_voids > MaxVoidLookups)
            {
                throw new SpfLimitException($"more than {MaxVoidLookups} void look-ups");
            }

            return answer.Records;
        }

        /// <summary>
        /// The client's names whose addresses include it (§5.5): PTR names, at most 10 of them, each confirmed by a
        /// forward look-up; a failed look-up only drops that name.
        /// </summary>
        private async Task<IReadOnlyList<string>> ValidatedNamesAsync(bool countVoid)
        {
            var ptr = await owner._dns.PtrAsync(client, cancellationToken);
            if (ptr.IsEmpty && countVoid && ++_voids > MaxVoidLookups)
            {
                throw new SpfLimitException($"more than {MaxVoidLookups} void look-ups");
            }

            var names = new List<string>();
            foreach (var name in ptr.Records.Take(MaxAddressesPerName))
            {
                if (!IsValidDomain(name))
                {
                    continue;
                }

                var forward = await owner._dns.AddressesAsync(name, client.AddressFamily == AddressFamily.InterNetworkV6, cancellationToken);
                if (forward.Records.Any(a => a.Equals(client)))
                {
                    names.Add(name);
                }
            }

            return names;
        }

        /// <summary>The explanation of a fail (§6.2): the <c>exp=</c> record expanded, or none when anything about it fails.</summary>
        private async Task<string?> ExplainAsync(SpfRecord record, SpfMacroContext context)
        {
            if (record.Explanation is null)
            {
                return null;
            }

            try
            {
                var target = await SpfMacro.ExpandAsync(record.Explanation, context, explanation: false, domain: true);
                if (!IsValidDomain(target))
                {
                    return null;
                }

                var answer = await owner._dns.TxtAsync(target, cancellationToken);
                if (answer.Records.Count != 1)
                {
                    return null;
                }

                SpfMacro.Validate(answer.Records[0], explanation: true);
                return await SpfMacro.ExpandAsync(answer.Records[0], context, explanation: true, domain: false);
            }
            catch (Exception e) when (e is SpfSyntaxException or SpfTemporaryException or SpfLimitException)
            {
                return null;
            }
        }

        private SpfMacroContext Context(string domain) =>
            new(client, sender, domain, helo, owner._receiver, ValidatedNameAsync, owner._clock.GetUtcNow());

        /// <summary><c>%{p}</c> (§7.3): the first validated name that is the domain or under it, else any, else "unknown".</summary>
        private async Task<string> ValidatedNameAsync()
        {
            if (_validatedName is null)
            {
                try
                {
                    var names = await ValidatedNamesAsync(countVoid: false);
                    _validatedName = names.Count > 0 ? names[0] : "unknown";
                }
                catch (SpfTemporaryException)
                {
                    _validatedName = "unknown";
                }
            }

            return _validatedName;
        }

        private void Count()
        {
            if (++_terms > MaxDnsTerms)
            {
                throw new SpfLimitException($"more than {MaxDnsTerms} DNS look-ups");
            }
        }
    }

    /// <summary>§4.3: a name of several labels, each 1 to 63 octets, 253 in all (a trailing dot allowed).</summary>
    public static bool IsValidDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var name = domain.EndsWith('.') ? domain[..^1] : domain;
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        var labels = name.Split('.');
        return labels.Length > 1 && labels.All(l => l.Length is > 0 and <= 63);
    }

    /// <summary>Whether <paramref name="address"/> is in <paramref name="network"/>/<paramref name="length"/> (of the same family).</summary>
    public static bool InNetwork(IPAddress address, IPAddress network, int length)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(network);
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        var full = length / 8;
        for (var i = 0; i < full; i++)
        {
            if (a[i] != n[i])
            {
                return false;
            }
        }

        var bits = length % 8;
        if (bits == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - bits));
        return (a[full] & mask) == (n[full] & mask);
    }
}

/// <summary>A DNS look-up that got no answer: temperror (RFC 7208 §2.6.6).</summary>
internal sealed class SpfTemporaryException(string message) : Exception(message);

/// <summary>A processing limit passed (§4.6.4): permerror.</summary>
internal sealed class SpfLimitException(string message) : Exception(message);
