namespace MailServerless.Aws;

/// <summary>The <c>Mail:Blob</c> settings: where message bodies are kept when the queues are SQS.</summary>
public sealed class BlobOptions
{
    /// <summary>The S3 bucket for bodies (the claim check: SQS carries only the key).</summary>
    public string Bucket { get; set; } = string.Empty;
}
