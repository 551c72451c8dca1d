using Amazon.S3;
using Amazon.SQS;
using Amazon.SQS.Model;
using MailServerless.Aws;

namespace MailServerless.Testing;

/// <summary>
/// The SQS/S3 emulator (fauxqs) that tests/run.sh starts on loopback; its endpoint arrives in
/// MAILSERVERLESS_TEST_AWS. Without it the AWS tests fail (they are never skipped).
/// </summary>
public static class AwsEmulator
{
    public const string EnvironmentVariable = "MAILSERVERLESS_TEST_AWS";

    public static string ServiceUrl =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: run the tests with tests/run.sh, which starts the SQS/S3 emulator.");

    public static AwsOptions Options => new() { ServiceUrl = ServiceUrl };

    /// <summary>A queue with its dead-letter queue and redrive policy, as the template makes them; returns both URLs.</summary>
    public static async Task<(string Url, string DeadLetterUrl)> CreateQueueAsync(IAmazonSQS sqs, string prefix, int maxReceiveCount = 5)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(70, prefix.Length + 33)];
        var dead = await sqs.CreateQueueAsync(name + "-dlq");
        var deadArn = (await sqs.GetQueueAttributesAsync(dead.QueueUrl, ["QueueArn"])).Attributes["QueueArn"];
        var queue = await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name,
            Attributes = new Dictionary<string, string>
            {
                ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{deadArn}\",\"maxReceiveCount\":{maxReceiveCount}}}",
                ["VisibilityTimeout"] = "30",
            },
        });
        return (queue.QueueUrl, dead.QueueUrl);
    }

    public static async Task<string> CreateBucketAsync(IAmazonS3 s3, string prefix = "msl")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)];
        await s3.PutBucketAsync(name);
        return name;
    }
}
