using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// One scrape of <c>/metrics</c>, read by Prometheus's own parser (the Python client's <c>text_string_to_metric_families</c>):
/// text it cannot parse fails the test, and the samples it finds are what the assertions look at.
/// </summary>
public sealed class PrometheusScrape
{
    private const string Parser = """
        import sys, json
        from prometheus_client.parser import text_string_to_metric_families
        samples = [[s.name, s.labels, s.value] for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]
        print(json.dumps(samples))
        """;

    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples;

    private PrometheusScrape(List<(string, Dictionary<string, string>, double)> samples, string text)
    {
        _samples = samples;
        Text = text;
    }

    public string Text { get; }

    /// <summary>Scrapes as the superadmin on the HTTP listener, or without credentials on <paramref name="port"/> when given.</summary>
    public static async Task<PrometheusScrape> TakeAsync(MailServerInstance server, int? port = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port ?? server.Http}/metrics");
        if (port is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin@example.jp:{MailServerInstance.Password}")));
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        // The text exposition format, version 0.0.4 (what every Prometheus server reads).
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Equal("0.0.4", response.Content.Headers.ContentType?.Parameters.FirstOrDefault(p => p.Name == "version")?.Value);
        var parsed = await ProcessRunner.RunAsync("/usr/bin/python3", ["-c", Parser], input: text);
        Assert.True(parsed.ExitCode == 0, $"Prometheus's parser refused the scrape: {parsed.Error}\n{text}");
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var sample in JsonDocument.Parse(parsed.Output).RootElement.EnumerateArray())
        {
            var labels = sample[1].EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal);
            var value = sample[2].ValueKind == JsonValueKind.Number ? sample[2].GetDouble() : double.NaN;
            samples.Add((sample[0].GetString()!, labels, value));
        }

        return new PrometheusScrape(samples, text);
    }

    /// <summary>The sum of the samples named <paramref name="name"/> that carry every label given ("key=value"); 0 when there are none.</summary>
    public double Value(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToList();
        return _samples.Where(s => s.Name == name && wanted.All(w => s.Labels.GetValueOrDefault(w[0]) == w[1])).Sum(s => s.Value);
    }

    public bool Has(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToList();
        return _samples.Any(s => s.Name == name && wanted.All(w => s.Labels.GetValueOrDefault(w[0]) == w[1]));
    }

    public override string ToString() => string.Join('\n', _samples.Select(s =>
        $"{s.Name}{{{string.Join(',', s.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {s.Value.ToString(CultureInfo.InvariantCulture)}"));
}
