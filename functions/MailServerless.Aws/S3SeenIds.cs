using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace MailServerless.Aws;

/// <summary>
/// The ids a queue has taken, as empty S3 objects under <c>queued/&lt;queue&gt;/</c>: SQS itself does not
/// refuse a second message with the same id, and the functions count on "enqueue once per id" (one
/// forward, one bounce per message, whatever the retries). The bucket's lifecycle rule expires them.
/// </summary>
public sealed class S3SeenIds(IAmazonS3 s3, string bucket, string queue)
{
    private string Key(string id) => $"queued/{queue}/{id}";

    public async Task<bool> ContainsAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await s3.GetObjectMetadataAsync(bucket, Key(id), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public Task AddAsync(string id, CancellationToken cancellationToken) =>
        s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = Key(id), ContentBody = string.Empty }, cancellationToken);
}
