using System.Globalization;
using System.Text;
using MailServerless.Core.Accounts;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Pop3;

/// <summary>The RFC 1939 states.</summary>
public enum Pop3State
{
    Authorization,
    Transaction,
    Update,
}

/// <summary>
/// One POP3 session (RFC 1939, with CAPA and response codes from RFC 2449, STLS from RFC 2595,
/// AUTH from RFC 5034). The mailbox is locked for the session (<c>-ERR [IN-USE]</c> for a second
/// one); deletions and the \Seen flag of retrieved messages are applied only at QUIT.
/// </summary>
public sealed partial class Pop3Session(
    ProtocolConnection connection, bool implicitTls, Pop3Services services, ILogger<Pop3Session> logger) : IAsyncDisposable
{
    private readonly Pop3Options _options = services.Options;
    private Pop3State _state = Pop3State.Authorization;
    private string? _pendingUser;
    private Mailbox? _mailbox;
    private DotLock? _lock;
    private Timer? _heartbeat;
    private MaildirFolder? _folder;
    private List<MaildirMessage> _messages = [];
    private readonly HashSet<int> _deleted = [];
    private readonly HashSet<int> _retrieved = [];
    private int _errors;
    private int _junk;
    private bool _quit;

    private bool PlaintextRefused => !connection.IsTls && !services.Throttle.Options.AllowPlaintextWithoutTls;

    private readonly long _connected = System.Diagnostics.Stopwatch.GetTimestamp();

    public async Task RunAsync(CancellationToken stopping)
    {
        if (implicitTls && !await connection.StartTlsAsync(services.Certificates.Context, services.Certificates.HandshakeTimeout, stopping))
        {
            return;
        }

        connection.WriteTimeout = _options.IdleTimeout;
        Ok("MailServerless ready.");
        try
        {
            while (!_quit && !stopping.IsCancellationRequested && _errors < _options.MaxErrors)
            {
                // Before login the whole session has the idle timeout (RFC 1939's ten minutes), not each command:
                // a NOOP now and then cannot hold a connection slot without ever logging in.
                var timeout = _state == Pop3State.Authorization ? ProtocolDeadlines.Left(_connected, _options.IdleTimeout) : _options.IdleTimeout;
                var (status, bytes) = await connection.ReadCommandAsync(_options.MaxAuthLine, timeout, stopping);
                if (status == LineStatus.Closed)
                {
                    break;
                }

                if (status == LineStatus.Timeout)
                {
                    Err("Disconnected for inactivity.");
                    break;
                }

                if (status == LineStatus.TooLong)
                {
                    Error("Line too long.");
                    continue;
                }

                await HandleLineAsync(bytes, stopping);
            }

            if (_errors >= _options.MaxErrors)
            {
                Err("Too many invalid commands.");
            }

            await connection.FlushAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or
                                       Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // Gone without QUIT: nothing is deleted (RFC 1939 §6).
        }

        LogDisconnect(connection.RemoteAddress, _mailbox?.Username ?? "-", _retrieved.Count, _quit ? _deleted.Count : 0);
    }

    private async Task HandleLineAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        if (!ProtocolConnection.TryDecodeCommand(bytes, out var line))
        {
            Error("NUL character or invalid UTF-8 in command.");
            return;
        }

        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? string.Empty : line[(space + 1)..];
        if (verb != "AUTH" && bytes.Length + 2 > _options.MaxCommandLine)
        {
            Error("Line too long.");
            return;
        }

        // Commands that move nothing forward count as errors past 100 (as SMTP's junk command limit).
        if (verb is "CAPA" or "NOOP" or "AUTH" or "RSET" or "STAT" or "LIST" or "UIDL" && ++_junk > 100)
        {
            _errors++;
        }

        switch (_state, verb)
        {
            case (_, "CAPA"): Capabilities(); break;
            case (_, "QUIT"): await QuitAsync(cancellationToken); break;
            case (_, "NOOP") when _state == Pop3State.Transaction: Ok(string.Empty); break;
            case (Pop3State.Authorization, "STLS"): await StartTlsAsync(cancellationToken); break;
            case (Pop3State.Authorization, "USER"): User(argument); break;
            case (Pop3State.Authorization, "PASS"): await PassAsync(argument, cancellationToken); break;
            case (Pop3State.Authorization, "AUTH"): await AuthenticateAsync(argument, cancellationToken); break;
            case (Pop3State.Transaction, "STAT"): Stat(); break;
            case (Pop3State.Transaction, "LIST"): List(argument); break;
            case (Pop3State.Transaction, "UIDL"): Uidl(argument); break;
            case (Pop3State.Transaction, "RETR"): await RetrieveAsync(argument, null, cancellationToken); break;
            case (Pop3State.Transaction, "TOP"): await TopAsync(argument, cancellationToken); break;
            case (Pop3State.Transaction, "DELE"): Delete(argument); break;
            case (Pop3State.Transaction, "RSET"):
                _deleted.Clear();
                Ok(string.Empty);
                break;
            case (_, "STAT" or "LIST" or "UIDL" or "RETR" or "TOP" or "DELE" or "RSET" or "NOOP" or "STLS" or "USER" or "PASS" or "AUTH"):
                Error("Command not allowed in this state.");
                break;
            default:
                Error("Unknown command.");
                break;
        }
    }

    private void Capabilities()
    {
        Ok("Capability list follows");
        var lines = new List<string> { "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING" };
        if (_state == Pop3State.Authorization)
        {
            if (!connection.IsTls)
            {
                lines.Add("STLS");
            }

            if (!PlaintextRefused)
            {
                lines.Add("USER");
                lines.Add("SASL " + string.Join(' ', Sasl.Mechanisms));
            }
        }

        lines.Add("IMPLEMENTATION MailServerless");
        foreach (var line in lines)
        {
            connection.Write(line);
        }

        connection.Write(".");
    }

    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        if (connection.IsTls)
        {
            Error("TLS is already active.");
            return;
        }

        // Plaintext sent ahead of the handshake must not count as protected (RFC 2595 §4).
        connection.DiscardBufferedInput();
        Ok("Begin TLS negotiation now.");
        await connection.FlushAsync(cancellationToken);
        if (!await connection.StartTlsAsync(services.Certificates.Context, services.Certificates.HandshakeTimeout, cancellationToken))
        {
            _quit = true;
        }

        _pendingUser = null;
    }

    private async Task QuitAsync(CancellationToken cancellationToken)
    {
        _quit = true;
        if (_state != Pop3State.Transaction || _folder is null)
        {
            Ok("Logging out.");
            return;
        }

        _state = Pop3State.Update;
        try
        {
            // Deleted messages go first (RFC 1939 §6: only now), then retrieved ones read as \Seen in IMAP too.
            await _folder.SyncAsync(cancellationToken);
            await _folder.ExpungeAsync(_deleted.Select(i => _messages[i].Uid), cancellationToken);
            foreach (var index in _retrieved.Except(_deleted))
            {
                if (_folder.FindByUid(_messages[index].Uid) is { } message && !message.Flags.HasFlag(MessageFlags.Seen))
                {
                    await _folder.UpdateFlagsAsync(message.Uid, m => (m.Flags | MessageFlags.Seen, m.Keywords), cancellationToken);
                }
            }

            // The lock goes before the reply, so a client that reconnects on seeing +OK finds the maildrop free.
            await ReleaseLockAsync();
            Ok(_deleted.Count > 0 ? "Logging out, messages deleted." : "Logging out.");
        }
        catch (IOException e)
        {
            LogUpdateFailed(_mailbox!.Username, e.Message);
            await ReleaseLockAsync();
            Err("[SYS/TEMP] Some deleted messages were not removed.");
        }
    }

    private async ValueTask ReleaseLockAsync()
    {
        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync();
            _heartbeat = null;
        }

        if (_lock is not null)
        {
            await _lock.DisposeAsync();
            _lock = null;
        }
    }

    private void Ok(string text) => connection.Write(text.Length == 0 ? "+OK" : "+OK " + text);

    private void Err(string text) => connection.Write("-ERR " + text);

    private void Error(string text)
    {
        _errors++;
        Err(text);
    }

    public ValueTask DisposeAsync() => ReleaseLockAsync();

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information,
        Message = "pop3 disconnect from [{Client}] user={User} retrieved={Retrieved} deleted={Deleted}")]
    private partial void LogDisconnect(System.Net.IPAddress client, string user, int retrieved, int deleted);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "pop3 authentication failed from [{Client}] user={User}")]
    private partial void LogLoginFailed(System.Net.IPAddress client, string user);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "pop3 {User}: update at QUIT failed: {Reason}")]
    private partial void LogUpdateFailed(string user, string reason);
}
