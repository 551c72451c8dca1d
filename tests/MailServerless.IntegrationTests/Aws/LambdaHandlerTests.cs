using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.SQS;
using Amazon.SQS.Model;
using MailServerless.Aws;
using MailServerless.Core.Queue;
using MailServerless.Lambda;
using MailServerless.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Aws;

/// <summary>
/// The Lambda side: SQS events in AWS's own format (as its documentation records them, with fields we do
/// not use) answered with the right partial batch failures, on queues of the emulator.
/// </summary>
public sealed class LambdaHandlerTests : IAsyncLifetime, IDisposable
{
    private readonly AmazonSQSClient _sqs = AwsEmulator.Options.CreateSqsClient();
    private readonly AmazonS3Client _s3 = AwsEmulator.Options.CreateS3Client();
    private string _bucket = string.Empty;
    private string _url = string.Empty;
    private string _deadLetterUrl = string.Empty;

    public async Task InitializeAsync()
    {
        _bucket = await AwsEmulator.CreateBucketAsync(_s3);
        (_url, _deadLetterUrl) = await AwsEmulator.CreateQueueAsync(_sqs, "lambda");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _sqs.Dispose();
        _s3.Dispose();
    }

    private static QueuedMessage Envelope(string id, DateTimeOffset? notBefore = null) => new()
    {
        Id = id, ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "a@remote.example", Recipients = ["user1@example.jp"], BodyKey = id, NotBefore = notBefore,
    };

    /// <summary>Sends the bodies, receives them (real receipt handles) and writes the event Lambda would pass.</summary>
    private async Task<string> RecordedEventAsync(params string[] bodies)
    {
        foreach (var body in bodies)
        {
            await _sqs.SendMessageAsync(_url, body);
        }

        var received = new List<Message>();
        for (var i = 0; i < 20 && received.Count < bodies.Length; i++)
        {
            received.AddRange((await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _url, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 })).Messages ?? []);
        }

        Assert.Equal(bodies.Length, received.Count);
        var records = received.Select(m => new Dictionary<string, object>
        {
            ["messageId"] = m.MessageId,
            ["receiptHandle"] = m.ReceiptHandle,
            ["body"] = m.Body,
            ["attributes"] = new Dictionary<string, string>
            {
                ["ApproximateReceiveCount"] = "1", ["SentTimestamp"] = "1545082649183", ["SenderId"] = "AIDAIENQZJOLO23YVJ4VO",
                ["ApproximateFirstReceiveTimestamp"] = "1545082649185",
            },
            ["messageAttributes"] = new Dictionary<string, object>(),
            ["md5OfBody"] = "098f6bcd4621d373cade4e832627b4f6",
            ["eventSource"] = "aws:sqs",
            ["eventSourceARN"] = "arn:aws:sqs:us-east-2:123456789012:my-queue",
            ["awsRegion"] = "us-east-2",
        });
        return JsonSerializer.Serialize(new { Records = records });
    }

    private static List<string> Failures(string response) =>
        JsonDocument.Parse(response).RootElement.GetProperty("batchItemFailures").EnumerateArray()
            .Select(f => f.GetProperty("itemIdentifier").GetString()!).ToList();

    [Fact]
    public async Task A_batch_lists_only_the_records_not_settled_poison_goes_to_the_dead_letter_queue_and_failures_are_retried_as_new_messages()
    {
        var queue = new SqsQueue(_sqs, "inbound", _url, new S3SeenIds(_s3, _bucket, "inbound"), TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger<SqsQueue>.Instance);
        var function = new ScriptedFunction();
        var processor = new QueueProcessor(queue, new S3BlobStore(_s3, _bucket), function,
            new QueueOptions { MinBackoff = TimeSpan.FromSeconds(1) }, TimeProvider.System, NullLogger<QueueProcessor>.Instance);
        var handler = new SqsBatchHandler(processor, queue, TimeProvider.System, NullLogger<SqsBatchHandler>.Instance);

        var eventJson = await RecordedEventAsync(
            Envelope("done").ToJson(),
            "test",
            Envelope("later", DateTimeOffset.UtcNow.AddHours(1)).ToJson(),
            Envelope("throws").ToJson());
        var notDue = JsonDocument.Parse(eventJson).RootElement.GetProperty("Records").EnumerateArray()
            .Single(r => r.GetProperty("body").GetString()!.Contains("\"later\"", StringComparison.Ordinal)).GetProperty("messageId").GetString();

        var failures = Failures(await handler.HandleAsync(eventJson, CancellationToken.None));

        Assert.Equal([notDue!], failures);
        Assert.Equal(["done", "throws"], function.Seen.Order());
        var dead = (await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _deadLetterUrl, WaitTimeSeconds = 1, MessageAttributeNames = ["All"] })).Messages;
        Assert.Equal("test", Assert.Single(dead).Body);
        Assert.Contains("JSON", dead[0].MessageAttributes["DeadLetterReason"].StringValue, StringComparison.Ordinal);

        // The failed one comes back as a new message (attempt 1) after its backoff; the others are gone.
        var retried = new List<QueueLease>();
        for (var i = 0; i < 10 && retried.Count == 0; i++)
        {
            retried.AddRange(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(1)));
        }

        var again = Assert.Single(retried);
        Assert.Equal("throws", again.Message.Id);
        Assert.Equal(1, again.Message.Attempt);
        queue.Dispose();
    }

    [Fact]
    public async Task An_event_that_is_not_from_sqs_fails_the_invocation()
    {
        var queue = new SqsQueue(_sqs, "inbound", _url, new S3SeenIds(_s3, _bucket, "inbound"), TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger<SqsQueue>.Instance);
        var processor = new QueueProcessor(queue, new S3BlobStore(_s3, _bucket), new ScriptedFunction(), new QueueOptions(), TimeProvider.System, NullLogger<QueueProcessor>.Instance);
        var handler = new SqsBatchHandler(processor, queue, TimeProvider.System, NullLogger<SqsBatchHandler>.Instance);
        await Assert.ThrowsAsync<FormatException>(() => handler.HandleAsync("{\"detail-type\":\"Scheduled Event\"}", CancellationToken.None));
        queue.Dispose();
    }

    [Fact]
    public async Task The_deliver_inbound_entry_point_writes_the_message_into_the_maildir_from_s3()
    {
        var data = Path.Combine(Path.GetTempPath(), "msl-lambda-" + Guid.NewGuid().ToString("N"));
        await using var directory = await TestDirectory.CreateAsync(Backend.Sqlite);
        await directory.Admin.CreateDomainAsync(new Core.Accounts.DomainSettings("example.jp"));
        await directory.Admin.CreateMailboxAsync("user1@example.jp", "secret-password", "User One", 0);
        var (outbound, _) = await AwsEmulator.CreateQueueAsync(_sqs, "lambda-out");
        FunctionHost.UseConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mail:DataDirectory"] = data, ["Mail:HostName"] = "mx.example.jp",
            ["Mail:Directory:Provider"] = "Sqlite", ["Mail:Directory:ConnectionString"] = directory.ConnectionString,
            ["Mail:Store:Path"] = Path.Combine(data, "virtual"),
            ["Mail:Queue:Provider"] = "Sqs", ["Mail:Queue:InboundUrl"] = _url, ["Mail:Queue:OutboundUrl"] = outbound,
            ["Mail:Blob:Bucket"] = _bucket, ["Mail:Aws:ServiceUrl"] = AwsEmulator.ServiceUrl,
        }).Build());

        var blobs = new S3BlobStore(_s3, _bucket);
        await blobs.PutAsync("lambda1", new MemoryStream(Encoding.UTF8.GetBytes("From: a@remote.example\r\nSubject: through lambda\r\n\r\nHello.\r\n")));
        // The second envelope's body is not in S3: dead-lettered with the reason, not retried, not a failed batch.
        var eventJson = await RecordedEventAsync(Envelope("lambda1").ToJson(), Envelope("no-such-body").ToJson());

        await using var response = await new DeliverInboundHandler().HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(eventJson)));
        Assert.Empty(Failures(await new StreamReader(response).ReadToEndAsync()));
        var dead = Assert.Single((await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _deadLetterUrl, WaitTimeSeconds = 1, MessageAttributeNames = ["All"] })).Messages);
        Assert.Contains("no-such-body", dead.Body, StringComparison.Ordinal);
        Assert.Contains("missing", dead.MessageAttributes["DeadLetterReason"].StringValue, StringComparison.Ordinal);
        var inbox = Path.Combine(data, "virtual", "example.jp", "user1", "new");
        var delivered = File.ReadAllText(Assert.Single(Directory.GetFiles(inbox)));
        Assert.Contains("Subject: through lambda", delivered, StringComparison.Ordinal);
        Assert.StartsWith("Return-Path: <a@remote.example>", delivered, StringComparison.Ordinal);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => blobs.OpenReadAsync("lambda1"));
        Directory.Delete(data, recursive: true);
    }

    /// <summary>Done for "done", throws for "throws".</summary>
    private sealed class ScriptedFunction : IQueueFunction
    {
        public List<string> Seen { get; } = [];

        public Task<FunctionResult> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
        {
            lock (Seen)
            {
                Seen.Add(message.Id);
            }

            return message.Id == "throws" ? throw new IOException("store unavailable") : Task.FromResult(FunctionResult.Done);
        }
    }
}
