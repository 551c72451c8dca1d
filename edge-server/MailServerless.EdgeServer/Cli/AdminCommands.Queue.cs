using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MailServerless.Core.Administration;
using MailServerless.Core.Configuration;
using MailServerless.EdgeServer.Api;

namespace MailServerless.EdgeServer.Cli;

/// <summary>
/// <c>admin queue list|show|retry|hold|release|delete|requeue-dead</c>: Postfix's <c>mailq</c>, <c>postqueue -i</c>,
/// <c>postsuper -h/-H/-d</c> and a dead-letter redrive. The running server owns the queue, so these go through its
/// admin API on loopback (<c>/api/queue</c>), with the token it leaves in the data directory (<see cref="ControlToken"/>).
/// Without <c>--queue</c>, a message is looked for in the inbound queue, then the outbound one.
/// </summary>
public static partial class AdminCommands
{
    private static readonly string[] QueueNames = [QueueServices.Inbound, QueueServices.Outbound];

    private static Command Queue(Verbs verbs, CliContext context)
    {
        Option<string?> QueueOption() => new("--queue") { Description = "inbound or outbound (left out: both)." };
        Argument<string> Id() => Name("ID", "The message's queue id (as listed).");

        var listQueue = QueueOption();
        var dead = Flag("--dead", "The dead letters instead.");
        var list = new Command("list", "Lists queued, deferred, in-flight and held messages (mailq), or the dead letters: sender, recipients, size, age, attempts, last error.")
        {
            listQueue, dead,
        };
        list.SetAction((parse, cancellationToken) => QueueCallAsync(context, parse, verbs, async api =>
        {
            var views = new List<QueuedMessageView>();
            foreach (var name in parse.GetValue(listQueue) is { } one ? [one] : QueueNames)
            {
                views.AddRange(await api.GetAsync<List<QueuedMessageView>>(
                    $"api/queue/?queue={Uri.EscapeDataString(name)}&dead={(parse.GetValue(dead) ? "true" : "false")}", cancellationToken) ?? []);
            }

            return views.OrderBy(v => v.ReceivedAt).ToList();
        }));

        Command OnOne(string name, string description, Func<QueueApiClient, string, string, Task<object>> act)
        {
            var id = Id();
            var queue = QueueOption();
            var command = new Command(name, description) { id, queue };
            command.SetAction((parse, cancellationToken) => QueueCallAsync(context, parse, verbs, async api =>
            {
                // Ids are unique across the queues: the first queue that has it answers.
                var candidates = parse.GetValue(queue) is { } one ? [one] : QueueNames;
                foreach (var candidate in candidates)
                {
                    try
                    {
                        return await act(api, candidate, parse.GetValue(id)!);
                    }
                    catch (QueueApiClient.NotFoundException) when (candidate != candidates[^1])
                    {
                    }
                }

                throw new InvalidOperationException("unreachable");
            }));
            return command;
        }

        string Path(string queue, string id) => $"api/queue/{Uri.EscapeDataString(queue)}/{Uri.EscapeDataString(id)}";

        var requeueId = new Argument<string?>("ID") { Description = "One dead letter (left out: all of them).", Arity = ArgumentArity.ZeroOrOne }.RefusingOptions();
        var requeueQueue = QueueOption();
        var requeue = new Command("requeue-dead", "Puts dead letters back into their queue, due now (SQS: the redrive from the dead-letter queue).")
        {
            requeueId, requeueQueue,
        };
        requeue.SetAction((parse, cancellationToken) => QueueCallAsync(context, parse, verbs, async api =>
        {
            var results = new List<RequeuedDead>();
            var id = parse.GetValue(requeueId);
            foreach (var name in parse.GetValue(requeueQueue) is { } one ? [one] : QueueNames)
            {
                try
                {
                    results.Add((await api.PostAsync<RequeuedDead>(
                        $"api/queue/{Uri.EscapeDataString(name)}/requeue-dead{(id is null ? string.Empty : "?id=" + Uri.EscapeDataString(id))}", cancellationToken))!);
                }
                catch (QueueApiClient.NotFoundException) when (id is not null)
                {
                    // Looked for in the other queue too; none at all is said below.
                }
            }

            return results.Count == 0 && id is not null ? throw new CliException($"No dead letter {id}.") : (object)results;
        }));

        return Group("queue", "The mail queues (inbound, outbound), through the running server: list, show, retry, hold, release, delete, requeue dead letters.",
            list,
            OnOne("show", "Shows one message: envelope, client, state, last error and header (postcat -eh).",
                async (api, queue, id) => (await api.GetAsync<QueuedMessageDetail>(Path(queue, id), CancellationToken.None))!),
            OnOne("retry", "Makes a deferred message due now (postqueue -i).",
                async (api, queue, id) => await api.SendAsync(HttpMethod.Post, Path(queue, id) + "/retry", $"{queue}/{id}: due now")),
            OnOne("hold", "Sets a message aside until it is released (postsuper -h).",
                async (api, queue, id) => await api.SendAsync(HttpMethod.Post, Path(queue, id) + "/hold", $"{queue}/{id}: held")),
            OnOne("release", "Puts a held message back, due now (postsuper -H).",
                async (api, queue, id) => await api.SendAsync(HttpMethod.Post, Path(queue, id) + "/release", $"{queue}/{id}: released")),
            OnOne("delete", "Deletes a queued, held or dead message and its body; no one is told (postsuper -d).",
                async (api, queue, id) => await api.SendAsync(HttpMethod.Delete, Path(queue, id), $"{queue}/{id}: deleted")),
            requeue);
    }

    private static Task<int> QueueCallAsync(CliContext context, System.CommandLine.ParseResult parse, Verbs verbs, Func<QueueApiClient, Task<object>> call) =>
        MailServerlessCommandLine.GuardAsync(context, async () =>
        {
            await using var services = CliHost.Build(context.Settings);
            using var api = QueueApiClient.ForRunningServer(services.GetRequiredService<MailOptions>());
            await CliOutput.WriteAsync(context.Output, await call(api), parse.GetValue(verbs.Json));
            return 0;
        });

    /// <summary>The running server's admin API on loopback, as the command line.</summary>
    private sealed class QueueApiClient : IDisposable
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        {
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        };

        private readonly HttpClient _http;

        private QueueApiClient(HttpClient http) => _http = http;

        public static QueueApiClient ForRunningServer(MailOptions options)
        {
            var listeners = options.Listeners;
            if (listeners.Http <= 0)
            {
                throw new CliException("admin queue works through the running server's HTTP listener, and Mail:Listeners:Http is off.");
            }

            var tokenPath = System.IO.Path.Combine(options.EffectiveDataDirectory, ControlToken.FileName);
            string token;
            try
            {
                token = File.ReadAllText(tokenPath).Trim();
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new CliException($"The server is not running on {options.EffectiveDataDirectory} (no {ControlToken.FileName}): the queue is the running server's; start it.");
            }
            catch (UnauthorizedAccessException)
            {
                throw new CliException($"Cannot read {tokenPath}: run as the mail's owner (sudo -u vmail ...).");
            }

            var address = IPAddress.Parse(listeners.HttpAddress);
            if (address.Equals(IPAddress.Any))
            {
                address = IPAddress.Loopback;
            }
            else if (address.Equals(IPAddress.IPv6Any))
            {
                address = IPAddress.IPv6Loopback;
            }

            var http = new HttpClient { BaseAddress = new Uri($"http://{new IPEndPoint(address, listeners.Http)}/"), Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return new QueueApiClient(http);
        }

        public async Task<T?> GetAsync<T>(string path, CancellationToken cancellationToken)
        {
            using var response = await CallAsync(() => _http.GetAsync(path, cancellationToken));
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }

        public async Task<T?> PostAsync<T>(string path, CancellationToken cancellationToken)
        {
            using var response = await CallAsync(() => _http.PostAsync(path, null, cancellationToken));
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }

        public async Task<object> SendAsync(HttpMethod method, string path, string done)
        {
            using var request = new HttpRequestMessage(method, path);
            using var response = await CallAsync(() => _http.SendAsync(request));
            return done;
        }

        public void Dispose() => _http.Dispose();

        /// <summary>The answer when it is a success; else its problem's title as the command's error.</summary>
        private async Task<HttpResponseMessage> CallAsync(Func<Task<HttpResponseMessage>> call)
        {
            HttpResponseMessage response;
            try
            {
                response = await call();
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"The server does not answer at {_http.BaseAddress} ({e.Message}): is it running?");
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var problem = await ProblemAsync(response);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    throw new NotFoundException(problem);
                }

                throw new CliException(problem);
            }
        }

        private static async Task<string> ProblemAsync(HttpResponseMessage response)
        {
            try
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return json.RootElement.TryGetProperty("title", out var title) && title.GetString() is { } text
                    ? text + (json.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } more ? $" ({more})" : string.Empty)
                    : $"{(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (JsonException)
            {
                return $"{(int)response.StatusCode} {response.ReasonPhrase}: the server's HTTP listener serves no admin API (Mail:Mode)";
            }
        }

        /// <summary>A 404: no such message there (the next queue may have it), or no queue API at all.</summary>
        public sealed class NotFoundException(string message) : CliException(message);
    }
}
