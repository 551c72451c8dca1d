using System.Globalization;
using System.Text.Json;
using MailServerless.Aws;
using MailServerless.Core.Queue;

namespace MailServerless.Lambda;

/// <summary>
/// One SQS-triggered Lambda invocation: each record of the event (AWS's SQS event JSON; fields we do not
/// know are ignored) is handed to the function through the same <see cref="QueueProcessor"/> as on a
/// worker, so done, retry (a new delayed message) and dead letter mean the same. The answer is the partial
/// batch response (<c>ReportBatchItemFailures</c>): only records that could not be settled, or are not due
/// yet, are listed, so one bad message never fails its batch.
/// </summary>
public sealed partial class SqsBatchHandler(QueueProcessor processor, SqsQueue queue, TimeProvider clock, ILogger<SqsBatchHandler> logger)
{
    public async Task<string> HandleAsync(string eventJson, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        using var document = JsonDocument.Parse(eventJson);
        if (!document.RootElement.TryGetProperty("Records", out var records) || records.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("not an SQS event: no Records array");
        }

        foreach (var record in records.EnumerateArray())
        {
            var messageId = Text(record, "messageId");
            try
            {
                if (!await HandleRecordAsync(record, cancellationToken))
                {
                    failures.Add(messageId);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogRecordFailed(messageId, e.Message);
                failures.Add(messageId);
            }
        }

        return JsonSerializer.Serialize(new BatchResponse(failures.Select(id => new BatchItemFailure(id)).ToList()), LambdaJsonContext.Default.BatchResponse);
    }

    /// <summary>True when the record is settled (done, retried or dead-lettered); false when SQS must hand it out again.</summary>
    private async Task<bool> HandleRecordAsync(JsonElement record, CancellationToken cancellationToken)
    {
        var receiptHandle = Text(record, "receiptHandle");
        var body = Text(record, "body");
        QueuedMessage message;
        try
        {
            message = QueuedMessage.FromJson(body);
        }
        catch (MalformedEnvelopeException e)
        {
            await queue.DeadLetterRawAsync(body, receiptHandle, e.Message, cancellationToken);
            return true;
        }

        if (message.NotBefore is { } due && due > clock.GetUtcNow())
        {
            // A retry delayed beyond SQS's 15 minutes arrived early: hidden again, and not deleted.
            await queue.HideAsync(receiptHandle, due - clock.GetUtcNow(), cancellationToken);
            return false;
        }

        var receiveCount = record.TryGetProperty("attributes", out var attributes) &&
                           int.TryParse(Text(attributes, "ApproximateReceiveCount"), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : 1;
        return await processor.HandleOneAsync(new QueueLease(message, receiptHandle, receiveCount), cancellationToken);
    }

    private static string Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : string.Empty;

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "SQS record {MessageId} left for another try: {Reason}")]
    private partial void LogRecordFailed(string messageId, string reason);
}

public sealed record BatchItemFailure(string ItemIdentifier);

public sealed record BatchResponse(IReadOnlyList<BatchItemFailure> BatchItemFailures);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BatchResponse))]
internal sealed partial class LambdaJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
