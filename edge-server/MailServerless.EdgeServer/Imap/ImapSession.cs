using System.Globalization;
using MailServerless.Core.Accounts;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;
using MailServerless.EdgeServer.Imap.Search;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Imap;

/// <summary>The RFC 3501 §3 states.</summary>
public enum ImapState
{
    NotAuthenticated,
    Authenticated,
    Selected,
    Logout,
}

/// <summary>
/// One IMAP4rev1 session (RFC 3501), or IMAP4rev2 (RFC 9051) once enabled, over the Maildir store, with the
/// extensions <see cref="Capabilities"/> names. Each command is read whole
/// (literals included), run, and answered after the untagged updates that other sessions or a
/// delivery caused in the selected folder.
/// </summary>
public sealed partial class ImapSession(
    ProtocolConnection connection, bool implicitTls, ImapServices services, ILogger<ImapSession> logger) : IAsyncDisposable
{
    private readonly ImapOptions _options = services.Options;
    private readonly long _connected = System.Diagnostics.Stopwatch.GetTimestamp();
    private ImapState _state = ImapState.NotAuthenticated;
    private Mailbox? _mailbox;
    private MaildirMailbox? _store;
    private SelectedFolder? _selected;
    private (string User, System.Net.IPAddress Client)? _userSlot;
    private int _errors;

    /// <summary>Ends message parses when the server stops or the client goes, whichever is first.</summary>
    private CancellationTokenSource? _parsing;

    private CancellationToken Parsing => _parsing?.Token ?? CancellationToken.None;

    private bool PlaintextRefused => !connection.IsTls && !services.Throttle.Options.AllowPlaintextWithoutTls;

    public async Task RunAsync(CancellationToken stopping)
    {
        _parsing = CancellationTokenSource.CreateLinkedTokenSource(stopping, connection.Closed);
        if (implicitTls && !await connection.StartTlsAsync(services.Certificates.Context, services.Certificates.HandshakeTimeout, stopping))
        {
            return;
        }

        connection.WriteTimeout = _options.IdleTimeout;
        connection.Write($"* OK [CAPABILITY {Capabilities()}] MailServerless ready.");
        try
        {
            while (_state != ImapState.Logout && !stopping.IsCancellationRequested && _errors < _options.MaxErrors)
            {
                using var command = await ReadCommandAsync(stopping);
                if (command is null)
                {
                    continue;
                }

                await ExecuteAsync(command, stopping);
            }

            if (_errors >= _options.MaxErrors)
            {
                connection.Write("* BYE Too many invalid IMAP commands.");
            }
            else if (stopping.IsCancellationRequested)
            {
                connection.Write("* BYE Server shutting down.");
            }

            await connection.FlushAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or
                                       Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The client went away.
        }

        LogDisconnect(connection.RemoteAddress, _mailbox?.Username ?? "-");
    }

    private async Task ExecuteAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var arguments = new ImapArguments(command.Arguments);
        string result;
        try
        {
            result = await DispatchAsync(command, arguments, cancellationToken);
        }
        catch (AnsweredException)
        {
            return;
        }
        catch (ImapSyntaxException e)
        {
            _errors++;
            result = "BAD " + e.Message;
        }
        catch (BadCharsetException)
        {
            result = "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.";
        }
        catch (UnknownCteException)
        {
            result = "NO [UNKNOWN-CTE] A part's Content-Transfer-Encoding is not one BINARY can decode.";
        }
        catch (KeywordLimitException)
        {
            result = "NO [LIMIT] No room for more keywords in this mailbox.";
        }
        catch (DirectoryNotFoundException) when (SelectedFolderIsGone())
        {
            result = SelectedFolderDeleted();
        }
        catch (DirectoryNotFoundException)
        {
            result = "NO [NONEXISTENT] Mailbox doesn't exist.";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException)
        {
            LogStoreFailure(_mailbox?.Username ?? "-", command.Name, e.Message);
            result = "NO [SERVERBUG] Internal error occurred. Refer to server log for more information.";
        }

        // RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH (or SORT, THREAD) by sequence number.
        if (_state == ImapState.Selected && _selected is not null)
        {
            await ReportChangesAsync(_selected, AllowsExpunge(command), cancellationToken);
        }

        connection.Write($"{command.Tag} {ResponseText(result)}");
    }

    /// <summary>The untagged updates for the selected folder; a folder deleted under us ends the session as Dovecot ends it.</summary>
    private async Task ReportChangesAsync(SelectedFolder selected, bool allowExpunge, CancellationToken cancellationToken)
    {
        try
        {
            await selected.UpdateAsync(allowExpunge, connection.Write, cancellationToken);
        }
        catch (DirectoryNotFoundException) when (SelectedFolderIsGone())
        {
            SelectedFolderDeleted();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException or DirectoryNotFoundException)
        {
            // The next command tries again; the client keeps the view it has.
            LogStoreFailure(_mailbox?.Username ?? "-", "sync", e.Message);
        }
    }

    private bool SelectedFolderIsGone() => _selected is not null && !Directory.Exists(_selected.Folder.Path);

    private string SelectedFolderDeleted()
    {
        connection.Write("* BYE Selected mailbox was deleted, have to disconnect.");
        _selected = null;
        _state = ImapState.Logout;
        return "NO [NONEXISTENT] Mailbox was deleted.";
    }

    /// <summary>
    /// resp-text is 7-bit without CR or LF (RFC 3501 §9): text that echoes client input (a bad date, an
    /// unknown item) cannot smuggle lines into the response.
    /// </summary>
    private static string ResponseText(string text)
    {
        // The response code ("OK [CAPABILITY …]") is ours and kept whole; the human text after it is cut at 300.
        var open = text.IndexOf(" [", StringComparison.Ordinal);
        var close = open >= 0 && open < 4 ? text.IndexOf(']', open) : -1;
        var keep = close >= 0 ? close + 1 : 0;
        var clean = text.Length - keep > 300 ? text[..(keep + 300)] + "..." : text;
        return clean.Any(c => c is < ' ' or > '~')
            ? new string(clean.Select(c => c is < ' ' or > '~' ? '?' : c).ToArray())
            : clean;
    }

    private static Task<string> Done(string result) => Task.FromResult(result);

    private string Capabilities()
    {
        var capabilities = new List<string>
        {
            // IMAP4rev2 beside IMAP4rev1: a client gets RFC 9051's rules by ENABLE IMAP4rev2 (RFC 9051 §6.3.1).
            "IMAP4rev1", "IMAP4rev2", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT",
            "CHILDREN", "SPECIAL-USE", "QUOTA", "QUOTA=RES-STORAGE", "ESEARCH", "SEARCHRES", "SORT", "SORT=DISPLAY",
            "LIST-EXTENDED", "LIST-STATUS", "MULTIAPPEND", "CATENATE", "BINARY", "CONDSTORE", "QRESYNC",
            "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "UTF8=ACCEPT", "STATUS=SIZE",
            "APPENDLIMIT=" + _options.MaxAppendSize.ToString(CultureInfo.InvariantCulture),
        };
        if (_state == ImapState.NotAuthenticated)
        {
            if (!connection.IsTls)
            {
                capabilities.Add("STARTTLS");
            }

            if (PlaintextRefused)
            {
                capabilities.Add("LOGINDISABLED");
            }
            else
            {
                capabilities.AddRange(Sasl.Mechanisms.Select(m => "AUTH=" + m));
            }
        }
        else if (!connection.IsCompressed)
        {
            // RFC 4978 §3: COMPRESS is a command of the authenticated states.
            capabilities.Add("COMPRESS=DEFLATE");
        }

        return string.Join(' ', capabilities);
    }

    /// <summary>RFC 2971: the client's ID is read and ignored; ours names the product only.</summary>
    private static string Id(ImapArguments args)
    {
        var token = args.Next("ID parameters");
        if (!token.IsNil && token.Kind != ImapTokenKind.List)
        {
            throw new ImapSyntaxException("Invalid ID parameters.");
        }

        args.End();
        return "OK ID completed.";
    }

    private async Task<string> CloseAsync(SelectedFolder selected, bool expunge, CancellationToken cancellationToken)
    {
        if (expunge && !selected.ReadOnly)
        {
            // CLOSE removes \Deleted messages silently (RFC 3501 §6.4.2).
            await selected.Folder.SyncAsync(cancellationToken);
            await selected.Folder.ExpungeAsync(
                selected.Folder.Messages.Where(m => m.Flags.HasFlag(MessageFlags.Deleted)).Select(m => m.Uid).ToList(), cancellationToken);
        }

        selected.Folder.Remember();
        _selected = null;
        _state = ImapState.Authenticated;
        return expunge ? "OK Close completed." : "OK Unselect completed.";
    }

    public ValueTask DisposeAsync()
    {
        _selected?.Folder.Remember();
        _parsing?.Dispose();

        if (_userSlot is { } slot)
        {
            services.UserConnections.Close(slot);
            _userSlot = null;
        }

        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "imap disconnect from [{Client}] user={User}")]
    private partial void LogDisconnect(System.Net.IPAddress client, string user);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "imap {User}: {Command} failed: {Reason}")]
    private partial void LogStoreFailure(string user, string command, string reason);
}
