using System.Text;
using MailServerless.Core.Accounts;
using MailServerless.Core.Queue;
using MailServerless.Functions;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace MailServerless.IntegrationTests.Delivery;

/// <summary>DeliverInbound over a real directory, a real Maildir store and a real spool, in temporary folders.</summary>
internal sealed class DeliveryHarness : IDisposable
{
    private int _sequence;

    private static readonly DeliveryOptions Options = new() { HostName = "mx.example.jp" };

    public DeliveryHarness(IAccountDirectory directory)
    {
        Spool = Path.Combine(Path.GetTempPath(), "msl-spool-" + Guid.NewGuid().ToString("N"));
        Blobs = new SpoolBlobStore(Path.Combine(Spool, "bodies"));
        Inbound = new SpoolQueue(Spool, "inbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
        Outbound = new SpoolQueue(Spool, "outbound", TimeProvider.System, NullLogger<SpoolQueue>.Instance);
        Function = new DeliverInbound(
            new RecipientResolver(directory, "autoreply.example.jp"), Store.Store, Blobs, Outbound,
            new NonDeliveryReports(Blobs, Inbound, Options, NullLogger<NonDeliveryReports>.Instance), Options, NullLogger<DeliverInbound>.Instance);
    }

    public string Spool { get; }

    public TempStore Store { get; } = new();

    public SpoolBlobStore Blobs { get; }

    public SpoolQueue Inbound { get; }

    public SpoolQueue Outbound { get; }

    public DeliverInbound Function { get; }

    public static string Message(string subject = "Hi") =>
        $"From: sender@remote.example\r\nTo: someone@example.jp\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@remote.example>\r\n\r\nHello there.\r\n";

    /// <summary>Stores a body and returns the envelope for it (not queued).</summary>
    public async Task<QueuedMessage> AcceptAsync(string from, IReadOnlyList<string> to, string? body = null)
    {
        var id = $"t{Interlocked.Increment(ref _sequence)}x{Guid.NewGuid():N}"[..20];
        var size = await Blobs.PutAsync(id, new MemoryStream(Encoding.UTF8.GetBytes(body ?? Message())));
        return new QueuedMessage { Id = id, ReceivedAt = DateTimeOffset.UtcNow, MailFrom = from, Recipients = to, BodyKey = id, Size = size };
    }

    public async Task<(QueuedMessage Message, FunctionResult Result)> DeliverAsync(string from, params string[] to)
    {
        var message = await AcceptAsync(from, to);
        return (message, await Function.HandleAsync(message, CancellationToken.None));
    }

    /// <summary>The message files in a mailbox's INBOX.</summary>
    public string[] Inbox(string localPart, string domain = "example.jp") =>
        Store.Files("new", $"{domain}/{localPart}/").Select(f => File.ReadAllText(Path.Combine(Store.Root($"{domain}/{localPart}/"), "new", f))).ToArray();

    public static async Task<IReadOnlyList<QueueLease>> DrainAsync(SpoolQueue queue) => await queue.ReceiveAsync(100, TimeSpan.Zero);

    public async Task<MimeMessage> LoadAsync(QueuedMessage message)
    {
        await using var body = await Blobs.OpenReadAsync(message.BodyKey);
        return await MimeMessage.LoadAsync(body);
    }

    public void Dispose()
    {
        Inbound.Dispose();
        Outbound.Dispose();
        Store.Dispose();
        if (Directory.Exists(Spool))
        {
            Directory.Delete(Spool, recursive: true);
        }
    }
}
