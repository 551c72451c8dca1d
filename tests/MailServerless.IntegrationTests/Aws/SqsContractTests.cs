using Amazon.S3;
using Amazon.SQS;
using MailServerless.Aws;
using MailServerless.Core.Queue;
using MailServerless.IntegrationTests.Queue;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Aws;

/// <summary>The queue contract on SQS with bodies in S3, against the emulator.</summary>
public sealed class SqsContractTests : MessageQueueContractTests, IAsyncLifetime, IDisposable
{
    private readonly AmazonSQSClient _sqs = AwsEmulator.Options.CreateSqsClient();
    private readonly AmazonS3Client _s3 = AwsEmulator.Options.CreateS3Client();
    private readonly Dictionary<IMessageQueue, string> _deadLetterUrls = [];
    private string _bucket = string.Empty;
    private IBlobStore? _blobs;

    protected override IBlobStore Blobs => _blobs ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync()
    {
        _bucket = await AwsEmulator.CreateBucketAsync(_s3);
        _blobs = new S3BlobStore(_s3, _bucket);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    protected override async Task<IMessageQueue> OpenAsync()
    {
        var (url, deadLetterUrl) = await AwsEmulator.CreateQueueAsync(_sqs, "contract");
        var queue = new SqsQueue(_sqs, "contract", url, new S3SeenIds(_s3, _bucket, url[(url.LastIndexOf('/') + 1)..]),
            TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger<SqsQueue>.Instance);
        _deadLetterUrls[queue] = deadLetterUrl;
        return queue;
    }

    protected override async Task<IReadOnlyList<QueuedMessage>> DeadLettersAsync(IMessageQueue queue)
    {
        var response = await _sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest
        {
            QueueUrl = _deadLetterUrls[queue], MaxNumberOfMessages = 10, WaitTimeSeconds = 1, MessageAttributeNames = ["All"],
        });
        var messages = response.Messages ?? [];
        Assert.All(messages, m => Assert.True(m.MessageAttributes.ContainsKey("DeadLetterReason")));
        return messages.Select(m => QueuedMessage.FromJson(m.Body)).ToList();
    }

    public void Dispose()
    {
        foreach (var queue in _deadLetterUrls.Keys)
        {
            ((SqsQueue)queue).Dispose();
        }

        _sqs.Dispose();
        _s3.Dispose();
    }
}
