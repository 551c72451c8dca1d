using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using Amazon.SQS.Model;
using MailServerless.Aws;
using MailServerless.Core.Accounts;
using MailServerless.Core.Queue;
using MailServerless.Testing;

namespace MailServerless.Benchmarks;

/// <summary>
/// A Lambda function's cold start as the managed runtime makes it, on this machine: a fresh process loads the
/// handler's assembly from its published package (its own load context, as the runtime does), makes the handler and
/// hands it one SQS event with one real message (a delivery into a mailbox, on MariaDB and the SQS/S3 emulator).
/// Reported: milliseconds from process start to the answer, and from loading the handler to the answer (without this
/// runner's own start), the median of <c>--runs</c> fresh processes per package.
/// </summary>
public static class LambdaColdStartBenchmark
{
    /// <summary><c>lambda-cold-start [--runs N] DIR=ASSEMBLY::TYPE::METHOD ...</c> (needs MAILSERVERLESS_TEST_MYSQL and _AWS).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = 5;
        var packages = new List<(string Directory, string Handler)>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--runs")
            {
                runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i].Split('=', 2) is [var package, var handler])
            {
                packages.Add((package!, handler!));
            }
        }

        await using var directory = await TestDirectory.CreateAsync(Backend.MariaDb);
        await directory.Admin.CreateDomainAsync(new DomainSettings("example.jp"));
        await directory.Admin.CreateMailboxAsync("user1@example.jp", "cold-start-1", "User One", 0);
        using var sqs = AwsEmulator.Options.CreateSqsClient();
        using var s3 = AwsEmulator.Options.CreateS3Client();
        var bucket = await AwsEmulator.CreateBucketAsync(s3, "cold");
        var (inbound, _) = await AwsEmulator.CreateQueueAsync(sqs, "cold-in");
        var (outbound, _) = await AwsEmulator.CreateQueueAsync(sqs, "cold-out");
        var store = Directory.CreateTempSubdirectory("msl-cold-store-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["Mail__Queue__Provider"] = "Sqs", ["Mail__Queue__InboundUrl"] = inbound, ["Mail__Queue__OutboundUrl"] = outbound,
            ["Mail__Blob__Bucket"] = bucket, ["Mail__Aws__ServiceUrl"] = AwsEmulator.ServiceUrl, ["Mail__Directory__Provider"] = "MySql",
            ["Mail__Directory__ConnectionString"] = directory.ConnectionString, ["Mail__Store__Path"] = store,
            ["Mail__DataDirectory"] = Directory.CreateTempSubdirectory("msl-cold-data-").FullName, ["Mail__HostName"] = "mx.example.jp",
        };
        var blobs = new S3BlobStore(s3, bucket);
        Console.WriteLine("package\tsize MB\tfiles\tprocess start → answer (ms)\thandler load → answer (ms)");
        foreach (var (folder, handler) in packages)
        {
            var sinceStart = new List<double>();
            var sinceLoad = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                var eventFile = await EventAsync(sqs, blobs, inbound);
                var result = await ProcessRunner.RunAsync("dotnet", [typeof(LambdaColdStartBenchmark).Assembly.Location, "lambda-invoke", folder, handler, eventFile],
                    environment: environment, timeout: TimeSpan.FromMinutes(2));
                File.Delete(eventFile);
                var line = result.Output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
                if (result.ExitCode != 0 || line is null)
                {
                    Console.Error.WriteLine(result.Output + result.Error);
                    return 1;
                }

                using var answer = JsonDocument.Parse(line);
                sinceStart.Add(answer.RootElement.GetProperty("sinceStart").GetDouble());
                sinceLoad.Add(answer.RootElement.GetProperty("sinceLoad").GetDouble());
                if (answer.RootElement.GetProperty("answer").GetString() != """{"batchItemFailures":[]}""")
                {
                    Console.Error.WriteLine("the event was not handled: " + line);
                    return 1;
                }
            }

            var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
            var size = files.Sum(f => new FileInfo(f).Length) / 1048576.0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{handler.Split("::")[0]}\t{size:0.0}\t{files.Length}\t{Median(sinceStart):0}\t{Median(sinceLoad):0}"));
        }

        return 0;
    }

    /// <summary><c>lambda-invoke DIR HANDLER EVENT</c>: the runtime's part, in this fresh process.</summary>
    public static async Task<int> InvokeAsync(string folder, string handler, string eventFile)
    {
        var load = Stopwatch.StartNew();
        var parts = handler.Split("::");
        var path = Path.Combine(Path.GetFullPath(folder), parts[0] + ".dll");
        var assembly = new PackageLoadContext(path).LoadFromAssemblyPath(path);
        var type = assembly.GetType(parts[1], throwOnError: true)!;
        var method = type.GetMethod(parts[2]) ?? throw new MissingMethodException(parts[1], parts[2]);
        var instance = Activator.CreateInstance(type);
        await using var input = File.OpenRead(eventFile);
        var output = await (Task<Stream>)method.Invoke(instance, [input])!;
        using var reader = new StreamReader(output);
        var answer = await reader.ReadToEndAsync();
        var sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["sinceStart"] = sinceStart, ["sinceLoad"] = load.Elapsed.TotalMilliseconds, ["answer"] = answer,
        }));
        return 0;
    }

    /// <summary>A message for user1 queued as the edge queues it, received, and written as Lambda's SQS event.</summary>
    private static async Task<string> EventAsync(Amazon.SQS.IAmazonSQS sqs, S3BlobStore blobs, string queue)
    {
        var id = Guid.NewGuid().ToString("N");
        var body = Path.GetTempFileName();
        await File.WriteAllTextAsync(body, $"From: a@remote.example\r\nTo: user1@example.jp\r\nSubject: cold {id}\r\n\r\nHello.\r\n");
        await using (var stream = File.OpenRead(body))
        {
            await blobs.PutAsync(id, stream, CancellationToken.None);
        }

        File.Delete(body);
        var envelope = new QueuedMessage { Id = id, ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "a@remote.example", Recipients = ["user1@example.jp"], BodyKey = id };
        await sqs.SendMessageAsync(queue, envelope.ToJson());
        var message = (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue, WaitTimeSeconds = 5 })).Messages.Single();
        var record = new Dictionary<string, object>
        {
            ["messageId"] = message.MessageId, ["receiptHandle"] = message.ReceiptHandle, ["body"] = message.Body,
            ["attributes"] = new Dictionary<string, string> { ["ApproximateReceiveCount"] = "1", ["SentTimestamp"] = "1545082649183" },
            ["messageAttributes"] = new Dictionary<string, object>(), ["eventSource"] = "aws:sqs",
            ["eventSourceARN"] = "arn:aws:sqs:ap-northeast-1:123456789012:inbound", ["awsRegion"] = "ap-northeast-1",
        };
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { Records = new[] { record } }));
        return file;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>The package's own assemblies, as the runtime loads a function: what it does not hold comes from the shared framework.</summary>
    private sealed class PackageLoadContext(string mainAssembly) : AssemblyLoadContext(isCollectible: false)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName) =>
            _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
