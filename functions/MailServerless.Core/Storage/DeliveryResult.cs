namespace MailServerless.Core.Storage;

public enum DeliveryStatus
{
    /// <summary>Written and durable in <c>new/</c>.</summary>
    Delivered,

    /// <summary>This queued message was delivered to this mailbox before (a redelivery): nothing written.</summary>
    AlreadyDelivered,

    /// <summary>Refused: the message would pass the mailbox's quota (a permanent answer, bounced).</summary>
    OverQuota,

    /// <summary>Could not write now (disk full, I/O error, lock timeout): retry later.</summary>
    TemporaryFailure,
}

/// <summary>The outcome of one Maildir delivery.</summary>
public sealed record DeliveryResult(DeliveryStatus Status, string? FileName = null, string? Detail = null)
{
    /// <summary>For a copy written to a mailbox with a quota: what it held before, and the copy's size (for quota warnings).</summary>
    public QuotaUsage? QuotaBefore { get; init; }

    public long Size { get; init; }

    public bool Succeeded => Status is DeliveryStatus.Delivered or DeliveryStatus.AlreadyDelivered;
}
