using System.Net;
using MailServerless.Core.Authentication;
using MailServerless.Core.Authentication.Spf;
using MailServerless.Core.Dns;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace MailServerless.UnitTests.Authentication;

/// <summary>
/// The RFC 7208 test suite (openspf.org, as pyspf ships it: Corpus/rfc7208-tests.yml), every case through
/// <see cref="SpfEvaluator"/> against the zone data of its scenario. A case passes when the result is one of
/// those the suite allows and, where it gives one, the explanation is the same.
/// </summary>
public sealed class SpfTestSuiteTests(ITestOutputHelper output)
{
    private static readonly Lazy<IReadOnlyList<SuiteCase>> Cases = new(Load);

    public static TheoryData<string> CaseNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in Cases.Value)
            {
                data.Add(c.Name);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Rfc7208_suite_case_gives_an_allowed_result(string name)
    {
        var suiteCase = Cases.Value.Single(c => c.Name == name);
        var (result, explanation) = await RunAsync(suiteCase);
        Assert.True(suiteCase.Results.Contains(result), $"{name} ({suiteCase.Spec}): got {result}, expected {string.Join(" or ", suiteCase.Results)}");
        if (suiteCase.Explanation is { } expected && result == "fail")
        {
            Assert.Equal(expected, explanation ?? "DEFAULT");
        }
    }

    [Fact]
    public async Task Rfc7208_suite_is_passed_whole()
    {
        var passed = 0;
        foreach (var suiteCase in Cases.Value)
        {
            var (result, explanation) = await RunAsync(suiteCase);
            if (suiteCase.Results.Contains(result) && (suiteCase.Explanation is null || result != "fail" || suiteCase.Explanation == (explanation ?? "DEFAULT")))
            {
                passed++;
            }
            else
            {
                output.WriteLine($"{suiteCase.Name}: {result}");
            }
        }

        output.WriteLine($"RFC 7208 test suite: {passed}/{Cases.Value.Count} passed");
        Assert.Equal(Cases.Value.Count, passed);
    }

    private static async Task<(string Result, string? Explanation)> RunAsync(SuiteCase suiteCase)
    {
        var evaluator = new SpfEvaluator(new ZoneLookup(suiteCase.Zone), "receiver.test");
        var outcome = await evaluator.CheckAsync(IPAddress.Parse(suiteCase.Host), suiteCase.Helo, suiteCase.MailFrom, CancellationToken.None);
        return (outcome.Result.ToString().ToLowerInvariant(), outcome.Explanation);
    }

    private static List<SuiteCase> Load()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(AppContext.BaseDirectory, "Authentication", "Corpus", "rfc7208-tests.yml")))
        {
            stream.Load(reader);
        }

        var cases = new List<SuiteCase>();
        foreach (var document in stream.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var zone = ZoneLookup.Parse(Get(root, "zonedata") as YamlMappingNode);
            foreach (var (key, value) in ((YamlMappingNode)Get(root, "tests")!).Children)
            {
                var test = (YamlMappingNode)value;
                var results = Get(test, "result") is YamlSequenceNode list ? list.Children.Select(Text).ToList() : [Text(Get(test, "result")!)];
                cases.Add(new SuiteCase(
                    Text(key), Text(Get(test, "host")!), Get(test, "mailfrom") is { } from ? Text(from) : string.Empty,
                    Get(test, "helo") is { } helo ? Text(helo) : string.Empty, results, Get(test, "explanation") is { } exp ? Text(exp) : null,
                    Get(test, "spec") is YamlScalarNode spec ? spec.Value ?? string.Empty : string.Empty, zone));
            }
        }

        return cases;
    }

    private static YamlNode? Get(YamlMappingNode node, string key) =>
        node.Children.FirstOrDefault(c => c.Key is YamlScalarNode s && s.Value == key).Value;

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;

    private sealed record SuiteCase(
        string Name, string Host, string MailFrom, string Helo, IReadOnlyList<string> Results, string? Explanation, string Spec,
        IReadOnlyDictionary<string, List<ZoneRecord>> Zone);

    private sealed record MxBox(MxHost Host);

    /// <summary>One entry of a scenario's zone data: a record, or <c>TIMEOUT</c> (for the whole name, or one type).</summary>
    private sealed record ZoneRecord(string Type, string? Value, IReadOnlyList<string>? Strings = null, int Preference = 0);

    /// <summary>
    /// Answers from a scenario's zone data as pyspf's test driver does: SPF records stand in for TXT where a name
    /// has no TXT of its own, <c>TIMEOUT</c> fails the query, CNAMEs are followed, and a name absent from the zone
    /// does not exist.
    /// </summary>
    private sealed class ZoneLookup(IReadOnlyDictionary<string, List<ZoneRecord>> zone) : IDnsLookup
    {
        public static Dictionary<string, List<ZoneRecord>> Parse(YamlMappingNode? data)
        {
            var zone = new Dictionary<string, List<ZoneRecord>>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in data?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
            {
                var records = new List<ZoneRecord>();
                var spf = new List<ZoneRecord>();
                var hasTxt = false;
                foreach (var item in ((YamlSequenceNode)value).Children)
                {
                    if (item is YamlScalarNode bare)
                    {
                        records.Add(new ZoneRecord(bare.Value ?? string.Empty, null));
                        continue;
                    }

                    foreach (var (typeNode, data2) in ((YamlMappingNode)item).Children)
                    {
                        var type = Text(typeNode);
                        switch (type)
                        {
                            case "TXT" or "SPF":
                            {
                                var strings = data2 is YamlSequenceNode parts ? parts.Children.Select(Text).ToList() : [Text(data2)];
                                var record = strings is ["TIMEOUT"] ? new ZoneRecord(type, "TIMEOUT") : new ZoneRecord(type, null, strings);
                                hasTxt |= type == "TXT";
                                if (type == "SPF")
                                {
                                    spf.Add(record with { Type = "TXT" });
                                }

                                if (strings is not ["NONE"])
                                {
                                    records.Add(record);
                                }

                                break;
                            }

                            case "MX":
                            {
                                var parts = (YamlSequenceNode)data2;
                                records.Add(new ZoneRecord(type, Text(parts.Children[1]), null, int.Parse(Text(parts.Children[0]), System.Globalization.CultureInfo.InvariantCulture)));
                                break;
                            }

                            default:
                                records.Add(new ZoneRecord(type, Text(data2)));
                                break;
                        }
                    }
                }

                if (!hasTxt)
                {
                    records.AddRange(spf.Where(s => s.Strings is not ["NONE"]));
                }

                zone[Text(key).TrimEnd('.')] = records;
            }

            return zone;
        }

        public Task<DnsResult<string>> TxtAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(Query(name, "TXT", r => r.Strings is { } s ? string.Concat(s) : null));

        public Task<DnsResult<IPAddress>> AddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) =>
            Task.FromResult(Query(name, ipv6 ? "AAAA" : "A", r => IPAddress.TryParse(r.Value, out var a) ? a : null));

        public Task<DnsResult<MxHost>> MxAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(Query(name, "MX", r => new MxBox(new MxHost(r.Preference, (r.Value ?? string.Empty).TrimEnd('.')))) is var boxed
                ? new DnsResult<MxHost>(boxed.Status, boxed.Records.Select(b => b.Host).ToList())
                : null!);

        /// <summary>The SPF suite's zones hold no TLSA records.</summary>
        public Task<DnsResult<Tlsa>> TlsaAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<Tlsa>(DnsStatus.NotFound, []));

        public Task<DnsResult<string>> PtrAsync(IPAddress address, CancellationToken cancellationToken)
        {
            var bytes = address.GetAddressBytes();
            var name = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                ? string.Join('.', bytes.Reverse()) + ".in-addr.arpa"
                : string.Join('.', Convert.ToHexStringLower(bytes).Reverse()) + ".ip6.arpa";
            return Task.FromResult(Query(name, "PTR", r => r.Value?.TrimEnd('.')));
        }

        private DnsResult<T> Query<T>(string name, string type, Func<ZoneRecord, T?> select)
        {
            var found = new List<T>();
            var status = Collect(name.TrimEnd('.'), type, select, found, 0);
            return new DnsResult<T>(status, found);
        }

        private DnsStatus Collect<T>(string name, string type, Func<ZoneRecord, T?> select, List<T> found, int depth)
        {
            if (name.Split('.').Any(l => l.Length > 63))
            {
                return DnsStatus.Failed;
            }

            if (!zone.TryGetValue(name, out var records))
            {
                return DnsStatus.NotFound;
            }

            // pyspf's driver: a TIMEOUT times the query out unless a record of the type asked came before it.
            var answered = false;
            foreach (var record in records)
            {
                if (record.Type == "TIMEOUT" && record.Value is null)
                {
                    return answered ? DnsStatus.Found : DnsStatus.Failed;
                }

                if (record.Type == type && record.Value == "TIMEOUT")
                {
                    return DnsStatus.Failed;
                }

                if (record.Type == type && select(record) is { } value)
                {
                    answered = true;
                    found.Add(value);
                }
                else if (record.Type == "CNAME" && type != "CNAME")
                {
                    if (depth >= 8)
                    {
                        return DnsStatus.Failed;
                    }

                    var status = Collect(record.Value!.TrimEnd('.'), type, select, found, depth + 1);
                    if (status == DnsStatus.Failed)
                    {
                        return status;
                    }
                }
            }

            return DnsStatus.Found;
        }
    }
}
