using Amazon.SQS;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Testing;

/// <summary>
/// The scaled-out form on one machine: edge servers (<c>Mail:Mode=Edge</c>) and workers (<c>Worker</c>) as
/// separate processes, on SQS + S3 of the emulator, one MariaDB directory and one shared Maildir base, as
/// EC2 instances share EFS.
/// </summary>
public sealed class MailCluster : IAsyncDisposable, IFaultTarget
{
    private readonly AmazonSQSClient _sqs;

    private MailCluster(string storePath, string inboundUrl, AmazonSQSClient sqs)
    {
        StorePath = storePath;
        InboundUrl = inboundUrl;
        _sqs = sqs;
    }

    public string StorePath { get; }

    public string InboundUrl { get; }

    public List<Node> Edges { get; } = [];

    public List<Node> Workers { get; } = [];

    /// <summary>Admin API processes (<c>Mail:Mode=Api</c>), started by <see cref="StartApiAsync"/>.</summary>
    public List<Node> Apis { get; } = [];

    private List<string> Shared { get; init; } = [];

    private string Root => Path.GetDirectoryName(StorePath)!;

    public IReadOnlyList<int> SmtpPorts => Edges.Select(e => e.Smtp).ToList();

    public string Output => string.Join("\n", Edges.Concat(Workers).Select(n => $"--- {n.Name}\n{n.Output}"));

    public static async Task<MailCluster> StartAsync(int edges, int workers, params string[] settings)
    {
        var root = Path.Combine(Path.GetTempPath(), "msl-cluster-" + Guid.NewGuid().ToString("N"));
        var store = Path.Combine(root, "virtual");
        var mysql = await MariaDb.CreateDatabaseAsync("cl");
        await MailServerInstance.SeedDirectoryAsync(DirectoryDatabase.MySql(mysql), store);

        var sqs = AwsEmulator.Options.CreateSqsClient();
        using var s3 = AwsEmulator.Options.CreateS3Client();
        var bucket = await AwsEmulator.CreateBucketAsync(s3, "cluster");
        var (inbound, _) = await AwsEmulator.CreateQueueAsync(sqs, "cl-in");
        var (outbound, _) = await AwsEmulator.CreateQueueAsync(sqs, "cl-out");
        List<string> shared =
        [
            "--Mail:HostName=mx.example.jp", "--Mail:Directory:Provider=MySql", $"--Mail:Directory:ConnectionString={mysql}",
            $"--Mail:Store:Path={store}", "--Mail:Queue:Provider=Sqs", $"--Mail:Queue:InboundUrl={inbound}", $"--Mail:Queue:OutboundUrl={outbound}",
            $"--Mail:Blob:Bucket={bucket}", $"--Mail:Aws:ServiceUrl={AwsEmulator.ServiceUrl}", "--Mail:Queue:MinBackoff=00:00:01",
            $"--Mail:Dns:Servers={LoopbackDns.SharedServer}",
            "--Mail:Relay:Mode=Smarthost", "--Mail:Relay:Host=127.0.0.1", "--Mail:Relay:Port=1", "--Mail:Relay:RequireTls=false", .. settings,
        ];
        var cluster = new MailCluster(store, inbound, sqs) { Shared = shared };
        try
        {
            for (var i = 0; i < edges; i++)
            {
                cluster.Edges.Add(await Node.StartAsync($"edge{i}", Path.Combine(root, $"edge{i}"), "Edge", shared));
            }

            for (var i = 0; i < workers; i++)
            {
                cluster.Workers.Add(await Node.StartAsync($"worker{i}", Path.Combine(root, $"worker{i}"), "Worker", shared));
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public string MaildirRoot(string localPart) => Path.Combine(StorePath, "example.jp", localPart);

    /// <summary>Adds an admin API process, as the API's Lambda function runs it.</summary>
    public async Task<Node> StartApiAsync()
    {
        var node = await Node.StartAsync($"api{Apis.Count}", Path.Combine(Root, $"api{Apis.Count}"), "Api", Shared);
        Apis.Add(node);
        return node;
    }

    /// <summary>A worker, killed with SIGKILL (whatever it held is handed out again when its visibility ends) and started again.</summary>
    public async Task KillAndRestartAsync(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var worker = Workers[random.Next(Workers.Count)];
        await worker.RestartAsync();
    }

    /// <summary>Waits until the inbound queue has nothing waiting, hidden or delayed, twice in a row.</summary>
    public async Task WaitUntilDeliveredAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var quiet = 0;
        while (DateTime.UtcNow < deadline && quiet < 2)
        {
            var attributes = await _sqs.GetQueueAttributesAsync(InboundUrl,
                ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]);
            quiet = attributes.Attributes.Values.All(v => v == "0") ? quiet + 1 : 0;
            await Task.Delay(500);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Edges.Concat(Workers).Concat(Apis))
        {
            await node.DisposeAsync();
        }

        _sqs.Dispose();
        try
        {
            Directory.Delete(Path.GetDirectoryName(StorePath)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>One process of the cluster, with its own data directory (certificate, logs) and ports.</summary>
    public sealed class Node : IAsyncDisposable
    {
        private readonly List<string> _arguments;
        private EdgeServerProcess _process;

        private Node(string name, List<string> arguments, EdgeServerProcess process, int smtp, int imaps, int http)
        {
            Name = name;
            _arguments = arguments;
            _process = process;
            Smtp = smtp;
            Imaps = imaps;
            Http = http;
        }

        public string Name { get; }

        public int Smtp { get; }

        public int Imaps { get; }

        public int Http { get; }

        public string Output => _process.Output;

        public int ProcessId => _process.ProcessId;

        internal static async Task<Node> StartAsync(string name, string dataDirectory, string mode, IEnumerable<string> shared)
        {
            var ports = EdgeServerProcess.FreePorts(3);
            var (smtp, imaps, http) = (ports[0], ports[1], ports[2]);
            var arguments = EdgeServerProcess.Arguments(dataDirectory, http, [$"--Mail:Mode={mode}", .. shared]);
            if (mode == "Edge")
            {
                arguments.AddRange([$"--Mail:Listeners:Smtp={smtp}", $"--Mail:Listeners:Imaps={imaps}"]);
            }

            var process = EdgeServerProcess.Start(arguments);
            if (!await process.WaitUntilListeningAsync(TimeSpan.FromSeconds(60)))
            {
                var output = process.Output;
                await process.DisposeAsync();
                throw new InvalidOperationException($"{name} did not start:\n{output}");
            }

            return new Node(name, arguments, process, smtp, imaps, http);
        }

        public async Task RestartAsync()
        {
            await _process.DisposeAsync();
            _process = EdgeServerProcess.Start(_arguments);
            if (!await _process.WaitUntilListeningAsync(TimeSpan.FromSeconds(60)))
            {
                throw new InvalidOperationException($"{Name} did not start again:\n{_process.Output}");
            }
        }

        public ValueTask DisposeAsync() => _process.DisposeAsync();
    }
}
