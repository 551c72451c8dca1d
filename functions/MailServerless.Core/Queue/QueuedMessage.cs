using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailServerless.Core.Queue;

/// <summary>What a queued message is for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessagePurpose>))]
public enum MessagePurpose
{
    /// <summary>Deliver to the recipients (the usual case).</summary>
    Deliver,

    /// <summary>
    /// Send the vacation auto-reply of each recipient (PostfixAdmin's <c>user#domain@vacation-domain</c>
    /// addresses) to the sender; never relayed as mail.
    /// </summary>
    Vacation,
}

/// <summary>
/// The envelope of an accepted message: small enough for any queue message (SQS's 256 KiB), with
/// the body kept in the blob store under <see cref="BodyKey"/> (the claim check).
/// </summary>
public sealed record QueuedMessage
{
    public required string Id { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The MAIL FROM address; empty for the null sender (bounces).</summary>
    public required string MailFrom { get; init; }

    public required IReadOnlyList<string> Recipients { get; init; }

    public required string BodyKey { get; init; }

    public long Size { get; init; }

    public string? ClientAddress { get; init; }

    public string? ClientHelo { get; init; }

    public string? AuthenticatedUser { get; init; }

    public MessagePurpose Purpose { get; init; } = MessagePurpose.Deliver;

    /// <summary>
    /// Header fields the edge decided on (Authentication-Results, spam verdict), folded and CRLF-ended, added at the
    /// top of each local copy.
    /// </summary>
    public string? AddedHeaders { get; init; }

    /// <summary>
    /// Fields removed from each local copy before <see cref="AddedHeaders"/> go on: a field name, or
    /// <c>Authentication-Results:authserv-id</c> for a forged result under our name (RFC 8601 §5).
    /// </summary>
    public IReadOnlyList<string>? RemovedHeaders { get; init; }

    /// <summary>The folder local copies go to (<c>Junk</c> for spam and DMARC quarantine); null: the inbox.</summary>
    public string? Folder { get; init; }

    /// <summary>The spam filter's score, when one checked the message (for filters).</summary>
    public double? SpamScore { get; init; }

    /// <summary>The Authentication-Results of the edge's checks (RFC 8601), kept for an ARC seal when the message is forwarded.</summary>
    public string? AuthenticationResults { get; init; }

    /// <summary>For a forward of mail from outside: the hosted domain whose key seals it with ARC (RFC 8617).</summary>
    public string? ArcSealDomain { get; init; }

    /// <summary>DSN parameters (RFC 3461) the client gave; null when it gave none.</summary>
    public DsnRequest? Dsn { get; init; }

    /// <summary>REQUIRETLS (RFC 8689): relayed only over TLS with a verified certificate to next hops that offer it too.</summary>
    public bool RequireTls { get; init; }

    /// <summary>Recipients whose sender was told of the delay already (RFC 3464 Action: delayed), so it is said once.</summary>
    public IReadOnlyList<string>? DelayNotified { get; init; }

    /// <summary>How many times delivery was tried before this one (0 on the first try).</summary>
    public int Attempt { get; init; }

    /// <summary>Not to be tried before this time (set by a retry).</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Why the last try failed (for the queue listing), when one did.</summary>
    public string? LastError { get; init; }

    /// <summary>Why the message was dead-lettered, when it was.</summary>
    public string? DeadLetterReason { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, QueueJsonContext.Default.QueuedMessage);

    /// <summary>Reads an envelope; a <see cref="MalformedEnvelopeException"/> says what is wrong.</summary>
    public static QueuedMessage FromJson(string json)
    {
        QueuedMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(json, QueueJsonContext.Default.QueuedMessage);
        }
        catch (JsonException e)
        {
            throw new MalformedEnvelopeException($"envelope is not valid JSON: {e.Message}", e);
        }

        if (message is null || string.IsNullOrWhiteSpace(message.Id) || string.IsNullOrWhiteSpace(message.BodyKey) ||
            message.Recipients is null || message.MailFrom is null)
        {
            throw new MalformedEnvelopeException("envelope lacks id, body key, sender or recipients");
        }

        return message;
    }
}

/// <summary>An envelope that cannot be read; it is dead-lettered with this reason.</summary>
public sealed class MalformedEnvelopeException : Exception
{
    public MalformedEnvelopeException(string message)
        : base(message)
    {
    }

    public MalformedEnvelopeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MalformedEnvelopeException()
    {
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(QueuedMessage))]
internal sealed partial class QueueJsonContext : JsonSerializerContext;
