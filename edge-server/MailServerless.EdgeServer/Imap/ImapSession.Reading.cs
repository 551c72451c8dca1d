using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailServerless.EdgeServer.Imap.Parsing;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.Imap;

/// <summary>Reading a command: its line, and each literal it announces (RFC 3501 §4.3, LITERAL+ RFC 7888).</summary>
public sealed partial class ImapSession
{
    /// <summary>Literals above this size wait in a temporary file rather than in memory.</summary>
    private const int LiteralInMemory = 256 * 1024;

    private const int MaxLiteralsPerCommand = 64;

    /// <summary>How many messages of the APPENDLIMIT one APPEND (MULTIAPPEND, RFC 3502) may bring.</summary>
    private const int MaxMessagesPerAppend = 4;

    /// <summary>A literal gets the read timeout plus time for what arrives, at <see cref="ImapOptions.MinDataRate"/>.</summary>
    private TransferDeadline LiteralDeadline() => new(ReadTimeout, _options.MinDataRate, TimeProvider.System);

    /// <summary>
    /// Before login the whole session has <see cref="ImapOptions.LoginTimeout"/>, not each line, so that a NOOP
    /// every few minutes cannot hold a connection slot without ever logging in; after it, each read has the idle timeout.
    /// </summary>
    private TimeSpan ReadTimeout => _state == ImapState.NotAuthenticated ? ProtocolDeadlines.Left(_connected, _options.LoginTimeout) : _options.IdleTimeout;

    /// <summary>The next command, or null when there is none to run (answered already, or the connection ended).</summary>
    private async Task<ImapCommand?> ReadCommandAsync(CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var literals = new List<ImapLiteral>();
        var tag = "*";
        var name = string.Empty;
        var first = true;
        long literalBytes = 0;
        try
        {
            while (true)
            {
                var (status, bytes) = first
                    ? await connection.ReadCommandAsync(_options.MaxLineLength, ReadTimeout, cancellationToken)
                    : await connection.ReadLineAsync(_options.MaxLineLength, ReadTimeout, cancellationToken);
                switch (status)
                {
                    case LineStatus.Closed:
                        _state = ImapState.Logout;
                        return Abandon(literals);
                    case LineStatus.Timeout:
                        connection.Write("* BYE Disconnected for inactivity.");
                        _state = ImapState.Logout;
                        return Abandon(literals);
                    case LineStatus.TooLong:
                        // Its end (and a literal it may announce) was not kept: the stream cannot be trusted to
                        // stay in step, so the connection ends, as Dovecot ends it.
                        if (first && ProtocolConnection.TryDecodeCommand(bytes, out var start) && start.Contains(' ', StringComparison.Ordinal))
                        {
                            tag = TagAndName(start).Tag;
                        }

                        connection.Write($"{tag} BAD Command line too long.");
                        connection.Write("* BYE Command line too long.");
                        _state = ImapState.Logout;
                        return Abandon(literals);
                }

                if (!ProtocolConnection.TryDecodeCommand(bytes, out var line))
                {
                    _errors++;
                    if (first)
                    {
                        tag = TagAndName(System.Text.Encoding.Latin1.GetString(bytes)).Tag;
                    }

                    connection.Write($"{tag} BAD Invalid characters in command.");
                    await DiscardAnnouncedLiteralAsync(System.Text.Encoding.Latin1.GetString(bytes), cancellationToken);
                    return Abandon(literals);
                }

                if (first)
                {
                    first = false;
                    (tag, name) = TagAndName(line);
                    if (tag == "*")
                    {
                        _errors++;
                        connection.Write(line.Length == 0 ? "* BAD Empty command line." : "* BAD Invalid tag.");
                        await DiscardAnnouncedLiteralAsync(line, cancellationToken);
                        return Abandon(literals);
                    }

                    if (name.Length == 0)
                    {
                        _errors++;
                        connection.Write($"{tag} BAD Missing command.");
                        await DiscardAnnouncedLiteralAsync(line, cancellationToken);
                        return Abandon(literals);
                    }
                }

                var literal = LiteralSuffix().Match(line);
                if (!literal.Success)
                {
                    text.Append(line);
                    break;
                }

                var size = long.TryParse(literal.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var announced)
                    ? announced
                    : long.MaxValue;
                var synchronising = literal.Groups[2].Length == 0;
                // Before login only LOGIN's user name and password may come as literals.
                var append = name == "APPEND" && _state != ImapState.NotAuthenticated;
                var limit = append ? _options.MaxAppendSize : _options.MaxLiteralSize;
                var count = _state == ImapState.NotAuthenticated ? 2 : MaxLiteralsPerCommand;
                literalBytes += size;
                // All literals of one command together: a mailbox name and, for APPEND, up to four messages of
                // the largest size (MULTIAPPEND, CATENATE's texts); they wait in temporary files, not in memory.
                if (size > limit || literalBytes > (append ? (MaxMessagesPerAppend * limit) : 0) + _options.MaxLiteralSize ||
                    literals.Count >= count || text.Length > _options.MaxLineLength)
                {
                    if (synchronising)
                    {
                        // Refused before the client sends it (RFC 7889 §4: TOOBIG).
                        connection.Write($"{tag} NO [TOOBIG] Literal too large.");
                        return Abandon(literals);
                    }

                    // A non-synchronising literal is on its way already: the connection cannot go on.
                    connection.Write("* BYE [TOOBIG] Literal too large.");
                    _state = ImapState.Logout;
                    return Abandon(literals);
                }

                if (synchronising)
                {
                    connection.Write("+ Ready for literal data");
                    await connection.FlushAsync(cancellationToken);
                }

                Stream content = size > LiteralInMemory
                    ? new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose)
                    : new MemoryStream((int)size);
                var received = new ImapLiteral(content, size);
                literals.Add(received);
                if (!await connection.ReadExactAsync(size, content, LiteralDeadline(), cancellationToken))
                {
                    // Cut off inside a literal (an APPEND that disconnects): nothing of it is kept.
                    _state = ImapState.Logout;
                    return Abandon(literals);
                }

                // APPEND's message may come as literal8 (~{n}, RFC 3516 §4.2): the same literal to us.
                var before = append && literal.Index > 0 && line[literal.Index - 1] == '~' ? literal.Index - 1 : literal.Index;
                text.Append(line.AsSpan(0, before)).Append(ImapTokenizer.LiteralMarker);
            }

            var tokens = ImapTokenizer.Tokenize(text.ToString(), literals);
            // tokens[0] is the tag, tokens[1] the name (and for UID, tokens[2] the command it prefixes).
            var isUid = name == "UID";
            var skip = 2;
            if (isUid)
            {
                if (tokens.Count < 3 || tokens[2].Kind != ImapTokenKind.Atom)
                {
                    throw new ImapSyntaxException("Missing command after UID.");
                }

                name = tokens[2].Text.ToUpperInvariant();
                skip = 3;
                if (!TakesUid(name))
                {
                    throw new ImapSyntaxException("Unknown UID command.");
                }
            }

            return new ImapCommand(tag, name, isUid, tokens.Skip(skip).ToList(), literals);
        }
        catch (ImapSyntaxException e)
        {
            _errors++;
            connection.Write($"{tag} BAD {e.Message}");
            return Abandon(literals);
        }
        catch
        {
            Abandon(literals);
            throw;
        }
    }

    /// <summary>
    /// A refused line that announced a non-synchronising literal (<c>{n+}</c>): its octets are on their way
    /// and belong to the refused command, so they are read and dropped (RFC 7888 §4) rather than taken for
    /// commands; one too large to read ends the connection. A synchronising literal is never sent unasked.
    /// </summary>
    private async Task DiscardAnnouncedLiteralAsync(string line, CancellationToken cancellationToken)
    {
        for (var literals = 0; ; literals++)
        {
            var literal = LiteralSuffix().Match(line);
            if (!literal.Success || literal.Groups[2].Length == 0)
            {
                return;
            }

            if (literals >= MaxLiteralsPerCommand ||
                !long.TryParse(literal.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ||
                size > _options.MaxLiteralSize ||
                !await connection.ReadExactAsync(size, Stream.Null, LiteralDeadline(), cancellationToken))
            {
                connection.Write("* BYE Literal of a refused command.");
                _state = ImapState.Logout;
                return;
            }

            // The refused command goes on after its literal, up to the end of its line (which may announce another).
            var (status, rest) = await connection.ReadLineAsync(_options.MaxLineLength, ReadTimeout, cancellationToken);
            if (status != LineStatus.Line)
            {
                _state = ImapState.Logout;
                return;
            }

            line = System.Text.Encoding.Latin1.GetString(rest);
        }
    }

    private static ImapCommand? Abandon(List<ImapLiteral> literals)
    {
        foreach (var literal in literals)
        {
            literal.Dispose();
        }

        return null;
    }

    /// <summary>The tag (RFC 3501 §9: astring characters but '+') and the upper-cased command name; tag "*" when invalid.</summary>
    private static (string Tag, string Name) TagAndName(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var tag = space < 0 ? line : line[..space];
        if (tag.Length == 0 || tag.Any(c => c <= ' ' || c >= 0x7f || c is '(' or ')' or '{' or '%' or '*' or '"' or '\\' or '+'))
        {
            return ("*", string.Empty);
        }

        var rest = space < 0 ? string.Empty : line[(space + 1)..];
        var end = rest.IndexOf(' ', StringComparison.Ordinal);
        return (tag, (end < 0 ? rest : rest[..end]).ToUpperInvariant());
    }

    [GeneratedRegex(@"\{([0-9]{1,19})(\+?)\}$", RegexOptions.CultureInvariant)]
    private static partial Regex LiteralSuffix();
}
