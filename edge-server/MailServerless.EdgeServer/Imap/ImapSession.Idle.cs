using MailServerless.EdgeServer.Imap.Parsing;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Imap;

/// <summary>IDLE (RFC 2177): changes in the selected folder are pushed until the client sends DONE.</summary>
public sealed partial class ImapSession
{
    private async Task<string> IdleAsync(ImapArguments args, CancellationToken cancellationToken)
    {
        args.End();
        connection.Write("+ idling");
        await connection.FlushAsync(cancellationToken);
        // One read stays pending while the folder is polled: a read is never cancelled midway (TLS could not resume it).
        var done = connection.ReadLineAsync(_options.MaxLineLength, _options.IdleTimeout, cancellationToken);
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = _options.IdleNotify && _selected is not null
            ? services.FolderWatchers.Watch(_selected.Folder.Path, () => Volatile.Read(ref changed).TrySetResult())
            : null;
        var interval = watch is null ? _options.IdlePollInterval : _options.IdleWatchedPollInterval;
        while (!done.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (_selected is not null)
            {
                await ReportChangesAsync(_selected, allowExpunge: true, cancellationToken);
                if (_state == ImapState.Logout)
                {
                    await connection.FlushAsync(cancellationToken);
                    return "NO [NONEXISTENT] Mailbox was deleted.";
                }

                if (connection.UnflushedBytes > 0)
                {
                    await connection.FlushAsync(cancellationToken);
                }
            }

            await Task.WhenAny(done, Task.Delay(interval, cancellationToken), Volatile.Read(ref changed).Task);
        }

        if (!done.IsCompleted)
        {
            // The server stops: say so (RFC 3501 §7.1.5) and end the session; the pending read ends with the connection.
            connection.Write("* BYE Server shutting down.");
            await connection.FlushAsync(CancellationToken.None);
            throw new OperationCanceledException(cancellationToken);
        }

        var (status, bytes) = await done;
        switch (status)
        {
            case LineStatus.Closed:
                _state = ImapState.Logout;
                return "BAD Connection closed in IDLE.";
            case LineStatus.Timeout:
                connection.Write("* BYE Disconnected for inactivity.");
                _state = ImapState.Logout;
                return "BAD Idle timed out.";
        }

        if (status == LineStatus.Line && System.Text.Encoding.ASCII.GetString(bytes).Trim().Equals("DONE", StringComparison.OrdinalIgnoreCase))
        {
            return "OK Idle completed.";
        }

        throw new ImapSyntaxException("Expected DONE.");
    }
}
