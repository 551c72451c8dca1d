using System.Net;
using System.Net.Sockets;
using MailServerless.Core.Accounts.Schema;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Configuration;
using MailServerless.Core.Storage;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// Takes mailbox change notices on <c>Mail:Notify:Listen</c> (UDP) from the processes that deliver into a shared
/// store (Lambda, workers, other edges), and the deliveries of this process itself, and wakes the IMAP sessions
/// idling in the folder (<see cref="FolderWatchers.Notify"/>). A notice that is not signed with the directory's key,
/// is older than a minute or names a path outside the store is dropped.
/// </summary>
public sealed partial class MailboxChangeListener(
    MailOptions options, MaildirStore store, ImapServices imap, DirectoryDatabase database, TimeProvider clock, ILogger<MailboxChangeListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!IPEndPoint.TryParse(options.Notify.Listen, out var endPoint))
        {
            return;
        }

        if (store.Changes is { } local)
        {
            local.Changed += imap.FolderWatchers.Notify;
        }

        var key = System.Text.Encoding.UTF8.GetBytes(options.Notify.Secret.Length > 0
            ? options.Notify.Secret
            : await MetaSecrets.GetOrCreateAsync(database, "notify_secret", stoppingToken));
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(endPoint);
        LogListening(endPoint);
        var buffer = new byte[2048];
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                LogReceiveFailed(e.Message);
                continue;
            }

            if (MailboxChangeNotice.Decode(buffer.AsSpan(0, received.ReceivedBytes), clock.GetUtcNow(), key) is { } relative &&
                MailboxChangeNotice.Resolve(store.BasePath, relative) is { } folder)
            {
                imap.FolderWatchers.Notify(folder);
            }
            else
            {
                LogDropped(received.RemoteEndPoint);
            }
        }
    }

    [LoggerMessage(EventId = 2311, Level = LogLevel.Information, Message = "mailbox change notices taken on udp {EndPoint}")]
    private partial void LogListening(IPEndPoint endPoint);

    [LoggerMessage(EventId = 2312, Level = LogLevel.Debug, Message = "mailbox change notice from {Sender} dropped: not signed with our key, stale, or outside the store")]
    private partial void LogDropped(EndPoint sender);

    [LoggerMessage(EventId = 2313, Level = LogLevel.Warning, Message = "mailbox change notices: {Reason}")]
    private partial void LogReceiveFailed(string reason);
}
