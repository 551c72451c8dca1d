using System.Text.Json;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using MailServerless.Core.Queue;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Operations;

/// <summary>
/// <c>admin queue</c> as an operator uses Postfix's mailq/postqueue/postsuper: on the spool of a running server (a
/// submission to a relay that does not answer waits in the outbound queue), and on SQS with its dead-letter queue
/// and S3 (the emulator). Every action is in the administration log.
/// </summary>
public sealed class QueueToolsTests
{
    [Fact]
    public async Task On_the_spool_a_deferred_message_is_listed_shown_held_released_retried_and_deleted()
    {
        // Retries ten minutes apart: the message stays deferred unless the tools say otherwise.
        await using var server = await MailServerInstance.StartAsync("--Mail:Queue:MinBackoff=00:10:00");
        var submitted = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Submission}", "--tls",
            "--auth-user", "user1@example.jp", "--auth-password", MailServerInstance.Password,
            "--from", "user1@example.jp", "--to", "friend@remote.example", "--header", "Subject: queue-probe"]);
        Assert.True(submitted.ExitCode == 0, submitted.Output);

        var deferred = await EventuallyAsync(server, e => e.GetProperty("queue").GetString() == "outbound" && e.GetProperty("state").GetString() == "Deferred");
        var id = deferred.GetProperty("id").GetString()!;
        Assert.Equal("user1@example.jp", deferred.GetProperty("sender").GetString());
        Assert.Equal(["friend@remote.example"], deferred.GetProperty("recipients").EnumerateArray().Select(r => r.GetString()));
        Assert.True(deferred.GetProperty("size").GetInt64() > 0);
        Assert.Equal(1, deferred.GetProperty("attempts").GetInt32());
        Assert.Contains("127.0.0.1", deferred.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        var people = await AdminAsync(server, "queue", "list");
        Assert.Contains($"{id}\toutbound\tdeferred\t", people.Output, StringComparison.Ordinal);
        Assert.Contains("<user1@example.jp> -> <friend@remote.example>", people.Output, StringComparison.Ordinal);

        var shown = await AdminAsync(server, "queue", "show", id);
        Assert.True(shown.ExitCode == 0, shown.Output + shown.Error);
        Assert.Contains("Subject: queue-probe", shown.Output, StringComparison.Ordinal);
        Assert.Contains("user=user1@example.jp", shown.Output, StringComparison.Ordinal);

        await JsonAsync(server, "queue", "hold", id);
        Assert.Equal("Held", (await FindAsync(server, id)).GetProperty("state").GetString());
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "spool", "outbound", "hold", id + ".json")));
        var retryHeld = await AdminAsync(server, "queue", "retry", id);
        Assert.Equal(1, retryHeld.ExitCode);

        // Released, it is due at once: tried again (the relay still does not answer) and deferred once more.
        await JsonAsync(server, "queue", "release", id);
        await EventuallyAsync(server, e => e.GetProperty("id").GetString() == id && e.GetProperty("attempts").GetInt32() == 2);
        await JsonAsync(server, "queue", "retry", id);
        await EventuallyAsync(server, e => e.GetProperty("id").GetString() == id && e.GetProperty("attempts").GetInt32() == 3);

        var body = Path.Combine(server.DataDirectory, "spool", "bodies", id);
        Assert.True(File.Exists(body));
        await JsonAsync(server, "queue", "delete", id);
        Assert.DoesNotContain(await ListAsync(server), e => e.GetProperty("id").GetString() == id);
        Assert.False(File.Exists(body));
        var again = await AdminAsync(server, "queue", "delete", id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"No message {id}", again.Error, StringComparison.Ordinal);

        var log = await AdminAsync(server, "log", "--limit", "50");
        foreach (var action in new[] { "queue_hold", "queue_release", "queue_retry", "queue_delete" })
        {
            Assert.Contains($"(cli)\t\t{action}\toutbound/{id}", log.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task On_the_spool_a_dead_letter_is_listed_and_requeued_and_then_delivered()
    {
        await using var server = await MailServerInstance.StartAsync();
        // A message the inbound queue gave up on (the directory was down for its whole lifetime, say).
        const string id = "20261204000000000deadbeef0001";
        var spool = Path.Combine(server.DataDirectory, "spool");
        await File.WriteAllTextAsync(Path.Combine(spool, "bodies", id), "From: a@remote.example\r\nSubject: back from the dead\r\n\r\nHello.\r\n");
        var envelope = new QueuedMessage
        {
            Id = id, ReceivedAt = DateTimeOffset.UtcNow.AddHours(-1), MailFrom = "a@remote.example", Recipients = ["user2@example.jp"], BodyKey = id,
            Size = 60, Attempt = 7, DeadLetterReason = "directory unavailable: connection refused",
        };
        await File.WriteAllTextAsync(Path.Combine(spool, "inbound", "dead", id + ".json"), envelope.ToJson());

        var dead = await AdminAsync(server, "queue", "list", "--dead", "--json");
        var entry = Assert.Single(JsonDocument.Parse(dead.Output).RootElement.EnumerateArray());
        Assert.Equal("Dead", entry.GetProperty("state").GetString());
        Assert.Equal("directory unavailable: connection refused", entry.GetProperty("deadLetterReason").GetString());
        Assert.True(entry.GetProperty("ageSeconds").GetInt64() >= 3600);

        var requeued = await JsonAsync(server, "queue", "requeue-dead", id);
        Assert.Equal(1, Assert.Single(requeued.EnumerateArray()).GetProperty("count").GetInt32());
        await server.WaitForMessageAsync("user2", "back from the dead");
        Assert.Empty(JsonDocument.Parse((await AdminAsync(server, "queue", "list", "--dead", "--json")).Output).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task On_sqs_messages_are_listed_held_in_s3_released_retried_deleted_and_dead_letters_redriven()
    {
        using var sqs = AwsEmulator.Options.CreateSqsClient();
        using var s3 = AwsEmulator.Options.CreateS3Client();
        var bucket = await AwsEmulator.CreateBucketAsync(s3, "qtools");
        var (inbound, inboundDead) = await AwsEmulator.CreateQueueAsync(sqs, "qt-in");
        var (outbound, _) = await AwsEmulator.CreateQueueAsync(sqs, "qt-out");
        // The API alone, no workers: what the edges queued stays there for the tools to act on.
        await using var server = await MailServerInstance.StartAsync(
            "--Mail:Mode=Api", "--Mail:Queue:Provider=Sqs", $"--Mail:Queue:InboundUrl={inbound}", $"--Mail:Queue:OutboundUrl={outbound}",
            $"--Mail:Blob:Bucket={bucket}", $"--Mail:Aws:ServiceUrl={AwsEmulator.ServiceUrl}");

        async Task<QueuedMessage> QueueAsync(string url, string id, string? reason = null)
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"bodies/{id}", ContentBody = $"Subject: {id}\r\n\r\nHi.\r\n" });
            var message = new QueuedMessage
            {
                Id = id, ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "a@remote.example", Recipients = ["user1@example.jp"], BodyKey = id,
                Size = 30, DeadLetterReason = reason,
            };
            await sqs.SendMessageAsync(url, message.ToJson());
            return message;
        }

        await QueueAsync(inbound, "sqs-one");
        await QueueAsync(inbound, "sqs-two");
        await QueueAsync(inboundDead, "sqs-dead", "poison");

        var listed = (await ListAsync(server)).Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Contains("sqs-one", listed);
        Assert.Contains("sqs-two", listed);
        // Looked at, not taken: both are still there for the workers.
        Assert.Equal(2, await VisibleAsync(sqs, inbound));

        await JsonAsync(server, "queue", "hold", "sqs-one");
        Assert.Equal(1, await VisibleAsync(sqs, inbound));
        Assert.Equal("Held", (await FindAsync(server, "sqs-one")).GetProperty("state").GetString());
        Assert.NotNull(await s3.GetObjectMetadataAsync(bucket, "held/inbound/sqs-one.json"));

        await JsonAsync(server, "queue", "release", "sqs-one");
        Assert.Equal(2, await VisibleAsync(sqs, inbound));
        Assert.Equal("Waiting", (await FindAsync(server, "sqs-one")).GetProperty("state").GetString());

        await JsonAsync(server, "queue", "retry", "sqs-two");
        await JsonAsync(server, "queue", "delete", "sqs-two");
        Assert.Equal(1, await VisibleAsync(sqs, inbound));
        await Assert.ThrowsAsync<Amazon.S3.AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "bodies/sqs-two"));

        var dead = Assert.Single(JsonDocument.Parse((await AdminAsync(server, "queue", "list", "--dead", "--json")).Output).RootElement.EnumerateArray());
        Assert.Equal("sqs-dead", dead.GetProperty("id").GetString());
        var redriven = await AdminAsync(server, "queue", "requeue-dead", "--queue", "inbound");
        Assert.Contains("inbound: 1 requeued", redriven.Output, StringComparison.Ordinal);
        Assert.Equal(0, await VisibleAsync(sqs, inboundDead));
        Assert.Equal(2, await VisibleAsync(sqs, inbound));
        Assert.DoesNotContain("poison", (await FindAsync(server, "sqs-dead")).ToString(), StringComparison.Ordinal);
    }

    private static Task<ProcessRunner.Result> AdminAsync(MailServerInstance server, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [EdgeServerProcess.ServerDll, "admin", .. arguments, $"--Mail:DataDirectory={server.DataDirectory}",
            $"--Mail:Listeners:Http={server.Http}"]);

    /// <summary>A command with --json: it succeeds, and its answer parses.</summary>
    private static async Task<JsonElement> JsonAsync(MailServerInstance server, params string[] arguments)
    {
        var result = await AdminAsync(server, [.. arguments, "--json"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return JsonDocument.Parse(result.Output).RootElement;
    }

    private static async Task<List<JsonElement>> ListAsync(MailServerInstance server)
    {
        var result = await AdminAsync(server, "queue", "list", "--json");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return JsonDocument.Parse(result.Output).RootElement.EnumerateArray().ToList();
    }

    private static async Task<JsonElement> FindAsync(MailServerInstance server, string id)
    {
        var result = await AdminAsync(server, "queue", "show", id, "--json");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return JsonDocument.Parse(result.Output).RootElement.GetProperty("message");
    }

    private static async Task<JsonElement> EventuallyAsync(MailServerInstance server, Func<JsonElement, bool> wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var list = await ListAsync(server);
            if (list.FirstOrDefault(wanted) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not listed as wanted: {string.Join("\n", list)}\n{server.Output}");
            await Task.Delay(250);
        }
    }

    /// <summary>Messages SQS would hand a worker now (the approximate count, which the emulator keeps exactly).</summary>
    private static async Task<int> VisibleAsync(Amazon.SQS.IAmazonSQS sqs, string url)
    {
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["ApproximateNumberOfMessages"] });
        return int.Parse(attributes.Attributes["ApproximateNumberOfMessages"], System.Globalization.CultureInfo.InvariantCulture);
    }
}
