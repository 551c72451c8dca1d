using System.Globalization;
using System.Text;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

// Usage:
//   deliver <base> <maildir> <id-prefix> <count> <bytes> [sync]
//       delivers <count> messages with ids <id-prefix>-0.. of about <bytes> bytes; with "sync" the
//       INBOX is opened and synced after each delivery, so UIDs are assigned concurrently.
// Prints one line per message: "<id> <status> <detail>"; exit code 0.
if (args is not ["deliver", var basePath, var maildir, var prefix, var countText, var bytesText, ..])
{
    Console.Error.WriteLine("usage: deliver <base> <maildir> <id-prefix> <count> <bytes> [sync]");
    return 64;
}

var count = int.Parse(countText, CultureInfo.InvariantCulture);
var bytes = int.Parse(bytesText, CultureInfo.InvariantCulture);
var sync = args.Length > 6 && args[6] == "sync";
var store = new MaildirStore(basePath, "tools.host", TimeProvider.System, NullLoggerFactory.Instance);
var queuedAt = DateTimeOffset.UtcNow;
for (var i = 0; i < count; i++)
{
    var id = $"{prefix}-{i}";
    var body = new StringBuilder($"Message-Id: <{id}@test>\r\nSubject: {id}\r\n\r\n");
    while (body.Length < bytes)
    {
        body.Append("0123456789012345678901234567890123456789012345678901234567890123456789012345\r\n");
    }

    var result = await store.Delivery.DeliverAsync(maildir, QuotaLimit.Unlimited, id, queuedAt,
        new MemoryStream(Encoding.ASCII.GetBytes(body.ToString())));
    Console.WriteLine($"{id} {result.Status} {result.Detail}");
    if (sync)
    {
        await store.OpenMailbox(maildir).OpenFolderAsync("INBOX");
    }
}

return 0;
