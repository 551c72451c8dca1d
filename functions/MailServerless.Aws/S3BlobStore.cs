using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using MailServerless.Core.Queue;

namespace MailServerless.Aws;

/// <summary>
/// Message bodies in S3 under <c>bodies/</c> (the claim check: SQS carries only the key). A put returns
/// once S3 has acknowledged it, which is durable; a body of unknown length is spooled to a temporary
/// file first, so that S3 gets a length and a checksum.
/// </summary>
public sealed class S3BlobStore(IAmazonS3 s3, string bucket) : IBlobStore
{
    private const string Prefix = "bodies/";

    public async Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var temp = Path.Combine(Path.GetTempPath(), "msl-s3-" + Guid.NewGuid().ToString("N"));
        await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await content.CopyToAsync(file, 64 * 1024, cancellationToken);
        var size = file.Length;
        file.Position = 0;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = Prefix + key, InputStream = file, AutoCloseStream = false }, cancellationToken);
        return size;
    }

    /// <summary>S3 has no group commit to share with the queue: the same durable put.</summary>
    public Task<long> PutBeforeEnqueueAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        PutAsync(key, content, cancellationToken);

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await s3.GetObjectAsync(bucket, Prefix + key, cancellationToken);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new BlobNotFoundException($"no body '{key}' in s3://{bucket}/{Prefix}", e);
        }
    }

    public async Task CopyAsync(string sourceKey, string targetKey, CancellationToken cancellationToken = default)
    {
        try
        {
            await s3.CopyObjectAsync(bucket, Prefix + sourceKey, bucket, Prefix + targetKey, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new BlobNotFoundException($"no body '{sourceKey}' in s3://{bucket}/{Prefix}", e);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await s3.DeleteObjectAsync(bucket, Prefix + key, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone already.
        }
    }

    /// <summary>The object's content; disposing it releases the response and its connection.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => response.ContentLength;

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
