namespace MailServerless.Core.Queue;

/// <summary>Where the queues and bodies live (<c>Mail:Queue:Provider</c>).</summary>
public enum QueueProvider
{
    /// <summary>The on-disk spool in <c>&lt;DataDirectory&gt;/spool</c>: one machine.</summary>
    Spool,

    /// <summary>SQS queues with the bodies in an S3 bucket (<c>Mail:Blob:Bucket</c>): edge servers and workers on several machines.</summary>
    Sqs,
}

/// <summary>The <c>Mail:Queue</c> settings: where the queues are, and how the workers retry (Postfix's defaults).</summary>
public sealed class QueueOptions
{
    public QueueProvider Provider { get; set; } = QueueProvider.Spool;

    /// <summary>The inbound SQS queue's URL (with a redrive policy to its dead-letter queue).</summary>
    public string InboundUrl { get; set; } = string.Empty;

    /// <summary>The outbound SQS queue's URL.</summary>
    public string OutboundUrl { get; set; } = string.Empty;

    /// <summary>How long a received SQS message stays hidden; renewed at half of it while a worker holds it.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Messages handled at once by this process's workers.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>First retry delay (Postfix's <c>minimal_backoff_time</c>: 300 s); doubled per attempt.</summary>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Longest retry delay (Postfix's <c>maximal_backoff_time</c>: 4000 s).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(4000);

    /// <summary>After this, a message still failing is dead-lettered (Postfix's <c>maximal_queue_lifetime</c>: 5 days).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long a stop waits for messages being handled.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(30);
}
