using System.Buffers;
using System.Globalization;
using MailServerless.Core.Storage;

namespace MailServerless.EdgeServer.Pop3;

/// <summary>The TRANSACTION state's commands (RFC 1939 §5, §7).</summary>
public sealed partial class Pop3Session
{
    private long Size(int index)
    {
        try
        {
            return _folder!.GetVirtualSize(_messages[index]);
        }
        catch (FileNotFoundException)
        {
            // Renamed by another session; its size from the name, or none if it had none.
            return _messages[index].Name.VirtualSize ?? 0;
        }
    }

    /// <summary>Dovecot's default <c>pop3_uidl_format = %08Xu%08Xv</c>, which it prints in lower case.</summary>
    private string UniqueId(int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{_messages[index].Uid:x8}{_folder!.UidValidity:x8}");

    private void Stat()
    {
        var live = Enumerable.Range(0, _messages.Count).Where(i => !_deleted.Contains(i)).ToList();
        Ok($"{Number(live.Count)} {Number(live.Sum(Size))}");
    }

    private void List(string argument) => Listing(argument, i => Number(Size(i)), "messages");

    private void Uidl(string argument) => Listing(argument, UniqueId, "UIDL");

    private void Listing(string argument, Func<int, string> value, string what)
    {
        if (argument.Length > 0)
        {
            if (TryMessage(argument, out var index))
            {
                Ok($"{Number(index + 1)} {value(index)}");
            }

            return;
        }

        Ok(what == "UIDL" ? string.Empty : $"{Number(_messages.Count - _deleted.Count)} messages:");
        for (var i = 0; i < _messages.Count; i++)
        {
            if (!_deleted.Contains(i))
            {
                connection.Write($"{Number(i + 1)} {value(i)}");
            }
        }

        connection.Write(".");
    }

    private void Delete(string argument)
    {
        if (TryMessage(argument, out var index))
        {
            _deleted.Add(index);
            Ok("Marked to be deleted.");
        }
    }

    private async Task TopAsync(string argument, CancellationToken cancellationToken)
    {
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var lines))
        {
            Error("Invalid arguments.");
            return;
        }

        await RetrieveAsync(parts[0], lines, cancellationToken);
    }

    /// <summary>
    /// Sends a message (or its headers and <paramref name="bodyLines"/> lines of body for TOP), with
    /// CRLF line ends and dot-stuffing (RFC 1939 §3), streamed from the file.
    /// </summary>
    private async Task RetrieveAsync(string argument, int? bodyLines, CancellationToken cancellationToken)
    {
        if (!TryMessage(argument, out var index))
        {
            return;
        }

        Stream file;
        try
        {
            file = _folder!.OpenRead(_messages[index]);
        }
        catch (FileNotFoundException)
        {
            // Renamed meanwhile (an IMAP session set a flag or took it from new/): find it again by UID.
            await _folder!.SyncAsync(cancellationToken);
            if (_folder.FindByUid(_messages[index].Uid) is not { } moved)
            {
                Err("Message was removed by another session.");
                return;
            }

            _messages[index] = moved;
            file = _folder.OpenRead(moved);
        }

        await using (file)
        {
            Ok(bodyLines is null ? $"{Number(Size(index))} octets" : string.Empty);
            await CopyDotStuffedAsync(file, bodyLines, cancellationToken);
        }

        connection.Write(".");
        if (bodyLines is null)
        {
            _retrieved.Add(index);
        }
    }

    private async Task CopyDotStuffedAsync(Stream file, int? bodyLines, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var atLineStart = true;
            var lineIsEmpty = true;
            var inBody = false;
            var heldCr = false;
            var bodyLinesLeft = bodyLines ?? int.MaxValue;
            int read;
            // A read from the page cache: done where we are, not handed to the thread pool (as an async file read is on Linux).
            while ((read = file.Read(buffer)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = buffer.AsMemory(0, read);
                if (heldCr)
                {
                    // A CR that ended the last piece: the CR of a CRLF split between reads, or a CR of the text.
                    heldCr = false;
                    if (chunk.Span[0] != '\n')
                    {
                        connection.Output.Write("\r"u8);
                        lineIsEmpty = false;
                    }
                }

                while (!chunk.IsEmpty)
                {
                    if (inBody && bodyLinesLeft <= 0)
                    {
                        return;
                    }

                    if (atLineStart && chunk.Span[0] == '.')
                    {
                        connection.Output.Write("."u8);
                    }

                    var newline = chunk.Span.IndexOf((byte)'\n');
                    var line = newline < 0 ? chunk : chunk[..newline];
                    // Stored with LF; a CR before it (a CRLF file) is dropped here and written back below.
                    var text = !line.IsEmpty && line.Span[^1] == '\r' && newline >= 0 ? line[..^1] : line;
                    if (newline < 0 && !text.IsEmpty && text.Span[^1] == '\r')
                    {
                        // Held back until the next read says whether a LF follows it.
                        text = text[..^1];
                        heldCr = true;
                    }

                    connection.Output.Write(text.Span);
                    lineIsEmpty &= text.IsEmpty;
                    if (newline < 0)
                    {
                        atLineStart = false;
                        break;
                    }

                    connection.Output.Write("\r\n"u8);
                    if (inBody)
                    {
                        bodyLinesLeft--;
                    }
                    else if (lineIsEmpty)
                    {
                        inBody = true;
                    }

                    atLineStart = true;
                    lineIsEmpty = true;
                    chunk = chunk[(newline + 1)..];
                }

                // A large message goes out as it is read; a small one leaves with its "." in one send.
                if (connection.UnflushedBytes > 64 * 1024)
                {
                    await connection.FlushAsync(cancellationToken);
                }
            }

            if (heldCr)
            {
                connection.Output.Write("\r"u8);
            }

            if (!atLineStart)
            {
                connection.Output.Write("\r\n"u8);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Parses a message number; answers -ERR itself when there is no such live message.</summary>
    private bool TryMessage(string argument, out int index)
    {
        index = -1;
        if (!int.TryParse(argument.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) ||
            number < 1 || number > _messages.Count)
        {
            Error($"There's no message {argument.Trim()}.");
            return false;
        }

        index = number - 1;
        if (_deleted.Contains(index))
        {
            Error("Message is deleted.");
            return false;
        }

        return true;
    }
}
