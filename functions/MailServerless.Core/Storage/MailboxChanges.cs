using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Storage;

/// <summary>
/// Told by <see cref="MaildirDelivery"/> each time a message lands in a folder: raises <see cref="Changed"/> in this
/// process and sends a <see cref="MailboxChangeNotice"/> to every peer (<c>Mail:Notify:Peers</c>), so that IMAP
/// sessions idling on a shared store learn of new mail at once. A notice that cannot be sent is logged and the
/// delivery stands: sessions find the mail at their next safety poll.
/// </summary>
public sealed partial class MailboxChanges(
    string storeBase, IReadOnlyList<IPEndPoint> peers, Func<CancellationToken, Task<byte[]>> key, TimeProvider clock, ILogger<MailboxChanges> logger)
    : IDisposable
{
    private readonly string _storeBase = Path.GetFullPath(storeBase);
    private readonly Lazy<Socket> _socket = new(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true });

    /// <summary>A folder's full path, each time a message was delivered into it by this process.</summary>
    public event Action<string>? Changed;

    public async Task NotifyAsync(string folderPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folderPath);
        var full = Path.GetFullPath(folderPath).TrimEnd('/');
        Changed?.Invoke(full);
        if (peers.Count == 0)
        {
            return;
        }

        try
        {
            var datagram = MailboxChangeNotice.Encode(Path.GetRelativePath(_storeBase, full), clock.GetUtcNow(), await key(cancellationToken));
            foreach (var peer in peers)
            {
                var to = peer.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(peer.Address.MapToIPv6(), peer.Port) : peer;
                await _socket.Value.SendToAsync(datagram, SocketFlags.None, to, cancellationToken);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or Accounts.DirectoryUnavailableException or System.Data.Common.DbException)
        {
            LogNotSent(e.Message);
        }
    }

    public void Dispose()
    {
        if (_socket.IsValueCreated)
        {
            _socket.Value.Dispose();
        }
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "mailbox change notice not sent (IDLE sessions elsewhere see the mail at their next poll): {Reason}")]
    private partial void LogNotSent(string reason);
}
