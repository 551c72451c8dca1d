using System.Globalization;
using System.Text;
using MailServerless.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.TestTools;

/// <summary>
/// <c>deliver &lt;base&gt; &lt;maildir&gt; &lt;id-prefix&gt; &lt;count&gt; &lt;bytes&gt; [sync]</c>: delivers messages with ids
/// <c>&lt;id-prefix&gt;-0..</c>; with "sync" the INBOX is opened after each, so UIDs are assigned concurrently
/// with other processes. Prints "&lt;id&gt; &lt;status&gt; &lt;detail&gt;" per message.
/// </summary>
internal static class MaildirWriter
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [var basePath, var maildir, var prefix, var countText, var bytesText, ..])
        {
            return 64;
        }

        var count = int.Parse(countText, CultureInfo.InvariantCulture);
        var bytes = int.Parse(bytesText, CultureInfo.InvariantCulture);
        var sync = args.Length > 5 && args[5] == "sync";
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
    }
}
