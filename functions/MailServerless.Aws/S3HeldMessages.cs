using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using MailServerless.Core.Queue;

namespace MailServerless.Aws;

/// <summary>
/// Postfix's hold queue for SQS, which has none: a held message's envelope is an S3 object under
/// <c>held/&lt;queue&gt;/&lt;id&gt;.json</c> (its body stays under <c>bodies/</c>) until an operator releases or deletes it.
/// </summary>
public sealed class S3HeldMessages(IAmazonS3 s3, string bucket, string queue)
{
    private string Prefix => $"held/{queue}/";

    private string Key(string id) => $"{Prefix}{SpoolNames.Require(id, "queue id")}.json";

    public Task PutAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = Key(message.Id), ContentBody = message.ToJson(), ContentType = "application/json",
        }, cancellationToken);
    }

    public async Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (!SpoolNames.IsValid(id))
        {
            return null;
        }

        try
        {
            using var response = await s3.GetObjectAsync(bucket, Key(id), cancellationToken);
            using var reader = new StreamReader(response.ResponseStream);
            return QueuedMessage.FromJson(await reader.ReadToEndAsync(cancellationToken));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<QueuedMessage>> ListAsync(CancellationToken cancellationToken)
    {
        var messages = new List<QueuedMessage>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = Prefix, ContinuationToken = token }, cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                var id = item.Key[Prefix.Length..^".json".Length];
                if (await GetAsync(id, cancellationToken) is { } message)
                {
                    messages.Add(message);
                }
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        return messages;
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = Prefix, ContinuationToken = token }, cancellationToken);
            count += page.S3Objects?.Count ?? 0;
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        return count;
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken) => s3.DeleteObjectAsync(bucket, Key(id), cancellationToken);
}
