using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace MailServerless.Core.Spam;

/// <summary>rspamd's verdict on one message (its <c>/checkv2</c> answer).</summary>
/// <param name="Action">rspamd's action: <c>no action</c>, <c>greylist</c>, <c>add header</c>, <c>rewrite subject</c>, <c>soft reject</c>, <c>reject</c>.</param>
/// <param name="Subject">For <c>rewrite subject</c>: the new subject.</param>
/// <param name="Message">rspamd's own SMTP text for a refusal, when it gives one.</param>
public sealed record SpamVerdict(string Action, double Score, double RequiredScore, IReadOnlyList<(string Name, double Score)> Symbols, string? Subject, string? Message)
{
    public bool IsSpam => Action is "add header" or "rewrite subject";
}

/// <summary>
/// Asks rspamd about a message over its HTTP protocol (<c>POST /checkv2</c>, the body the message, the envelope in
/// the <c>IP</c>, <c>Helo</c>, <c>From</c>, <c>Rcpt</c>, <c>User</c> and <c>Queue-Id</c> headers), as its milter does.
/// </summary>
public sealed class RspamdClient(HttpClient http, SpamOptions options)
{
    /// <summary>The message's facts as rspamd's protocol names them.</summary>
    public sealed record Envelope(string ClientAddress, string Helo, string MailFrom, IReadOnlyList<string> Recipients, string? User, string QueueId, string HostName);

    /// <exception cref="HttpRequestException">rspamd could not be reached or answered with an error.</exception>
    /// <exception cref="TaskCanceledException">It took longer than <c>Mail:Spam:Timeout</c>.</exception>
    public async Task<SpamVerdict> CheckAsync(Stream message, Envelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(envelope);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.RspamdUrl.TrimEnd('/') + "/"), "checkv2"))
        {
            Content = new StreamContent(message),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var headers = request.Headers;
        headers.TryAddWithoutValidation("IP", envelope.ClientAddress);
        headers.TryAddWithoutValidation("Helo", envelope.Helo);
        headers.TryAddWithoutValidation("From", envelope.MailFrom);
        headers.TryAddWithoutValidation("Queue-Id", envelope.QueueId);
        headers.TryAddWithoutValidation("MTA-Name", envelope.HostName);
        foreach (var recipient in envelope.Recipients)
        {
            headers.TryAddWithoutValidation("Rcpt", recipient);
        }

        if (envelope.User is not null)
        {
            headers.TryAddWithoutValidation("User", envelope.User);
        }

        if (options.Password.Length > 0)
        {
            headers.TryAddWithoutValidation("Password", options.Password);
        }

        using var response = await http.SendAsync(request, timeout.Token);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var json = await JsonDocument.ParseAsync(body, default, timeout.Token);
        return Read(json.RootElement);
    }

    internal static SpamVerdict Read(JsonElement root)
    {
        var action = root.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "no action";
        var score = Number(root, "score");
        var required = Number(root, "required_score");
        var symbols = new List<(string, double)>();
        if (root.TryGetProperty("symbols", out var list) && list.ValueKind == JsonValueKind.Object)
        {
            foreach (var symbol in list.EnumerateObject())
            {
                symbols.Add((symbol.Name, Number(symbol.Value, "score")));
            }
        }

        var subject = root.TryGetProperty("subject", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        string? message = null;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Object &&
            messages.TryGetProperty("smtp_message", out var text) && text.ValueKind == JsonValueKind.String)
        {
            message = text.GetString();
        }

        return new SpamVerdict(action, score, required, symbols.OrderBy(x => x.Item1, StringComparer.Ordinal).ToList(), subject, message);
    }

    private static double Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : 0;

    /// <summary>The spam headers rspamd's milter adds: <c>X-Spamd-Result</c>, <c>X-Rspamd-Score</c>, and <c>X-Spam: Yes</c> for spam.</summary>
    public static string Headers(SpamVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var culture = CultureInfo.InvariantCulture;
        var result = new System.Text.StringBuilder();
        result.Append(culture, $"X-Spamd-Result: default: {(verdict.IsSpam || verdict.Action.Contains("reject", StringComparison.Ordinal) ? "True" : "False")} [{verdict.Score:0.00} / {verdict.RequiredScore:0.00}]");
        foreach (var (name, score) in verdict.Symbols)
        {
            result.Append(culture, $";\r\n\t{name}({score:0.00})");
        }

        result.Append("\r\n");
        result.Append(culture, $"X-Rspamd-Score: {verdict.Score:0.00}\r\n");
        if (verdict.IsSpam)
        {
            result.Append("X-Spam: Yes\r\n");
        }

        return result.ToString();
    }
}
