using System.Text;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.Testing;

/// <summary>A Maildir store base in a fresh temporary directory, removed afterwards.</summary>
public sealed class TempStore : IDisposable
{
    public TempStore()
    {
        BasePath = Path.Combine(Path.GetTempPath(), "msl-store-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(BasePath);
        Store = new MaildirStore(BasePath, "test.host", TimeProvider.System, NullLoggerFactory.Instance);
    }

    public string BasePath { get; }

    public MaildirStore Store { get; }

    public MaildirDelivery Delivery => Store.Delivery;

    public string Root(string maildir = "example.jp/user1/") => MaildirLayout.MailboxRoot(BasePath, maildir);

    public static MemoryStream Message(string subject = "Hello", string body = "Body line 1\r\nBody line 2\r\n") =>
        new(Encoding.UTF8.GetBytes($"From: a@example.net\r\nTo: user1@example.jp\r\nSubject: {subject}\r\n\r\n{body}"));

    public static MemoryStream MessageOfSize(int size)
    {
        const string header = "Subject: sized\r\n\r\n";
        return new MemoryStream(Encoding.ASCII.GetBytes(header + new string('x', size - header.Length + 1)));
    }

    public Task<DeliveryResult> DeliverAsync(string id, Stream? message = null, QuotaLimit limit = default,
        string maildir = "example.jp/user1/", DateTimeOffset? queuedAt = null) =>
        Delivery.DeliverAsync(maildir, limit, id, queuedAt ?? DateTimeOffset.UtcNow, message ?? Message());

    public string[] Files(string sub, string maildir = "example.jp/user1/", string folder = "INBOX") =>
        Directory.GetFiles(Path.Combine(MaildirLayout.FolderPath(Root(maildir), folder), sub)).Select(Path.GetFileName).ToArray()!;

    public void Dispose()
    {
        if (Directory.Exists(BasePath))
        {
            Directory.Delete(BasePath, recursive: true);
        }
    }
}
