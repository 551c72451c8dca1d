using System.Globalization;
using System.Text;
using MailServerless.Core.Diagnostics;
using MailServerless.Core.Sieve;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.EdgeServer.ManageSieve;

/// <summary>
/// One ManageSieve session (RFC 5804): STARTTLS, AUTHENTICATE PLAIN/LOGIN with the mail password and the same
/// throttle as IMAP, then the script commands on the user's <c>~/sieve</c> (see <see cref="SieveScriptStore"/>).
/// Scripts are compiled before they are stored; quotas are checked on the number, the size and the total of scripts.
/// </summary>
public sealed partial class ManageSieveSession(ProtocolConnection connection, ManageSieveServices services, ILogger<ManageSieveSession> logger)
{
    private const int MaxLine = 8192;

    /// <summary>A literal longer than this is not read at all: the connection is closed.</summary>
    private const long MaxLiteral = 16L * 1024 * 1024;

    private readonly ManageSieveOptions _options = services.Options;
    private SieveScriptStore? _scripts;
    private string? _user;
    private int _errors;
    private bool _quit;

    private bool PlaintextRefused => !connection.IsTls && !services.Throttle.Options.AllowPlaintextWithoutTls;

    public async Task RunAsync(CancellationToken stopping)
    {
        connection.WriteTimeout = _options.IdleTimeout;
        Capabilities();
        Ok(string.Empty);
        try
        {
            while (!_quit && !stopping.IsCancellationRequested && _errors < _options.MaxErrors)
            {
                await connection.FlushAsync(stopping);
                var (status, tokens) = await ReadCommandAsync(stopping);
                if (status is LineStatus.Closed or LineStatus.Timeout)
                {
                    if (status == LineStatus.Timeout)
                    {
                        Bye("Disconnected for inactivity.");
                    }

                    break;
                }

                if (status == LineStatus.TooLong || tokens is null)
                {
                    _errors++;
                    No(null, status == LineStatus.TooLong ? "Line or literal too long." : "Syntax error.");
                    if (status == LineStatus.TooLong && tokens is null)
                    {
                        Bye("Input too large.");
                        break;
                    }

                    continue;
                }

                await HandleAsync(tokens, stopping);
            }

            if (_errors >= _options.MaxErrors)
            {
                Bye("Too many invalid commands.");
            }

            await connection.FlushAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or
                                       Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The client went away.
        }

        LogDisconnect(connection.RemoteAddress, _user ?? "-");
    }

    private async Task HandleAsync(List<Token> tokens, CancellationToken cancellationToken)
    {
        if (tokens.Count == 0 || tokens[0].Kind != TokenKind.Atom)
        {
            _errors++;
            No(null, "Expected a command.");
            return;
        }

        var command = tokens[0].Text.ToUpperInvariant();
        var args = tokens.Skip(1).ToList();
        var authenticated = _scripts is not null;
        switch (command)
        {
            case "CAPABILITY" when args.Count == 0:
                Capabilities();
                Ok(string.Empty);
                break;
            case "LOGOUT" when args.Count == 0:
                Ok("Logout completed.");
                _quit = true;
                break;
            case "NOOP" when args.Count <= 1 && args.All(a => a.Kind == TokenKind.String):
                Write(args.Count == 1 ? $"OK (TAG {Quote(args[0].Text)}) \"Done\"" : "OK \"NOOP completed.\"");
                break;
            case "STARTTLS" when !authenticated && args.Count == 0:
                await StartTlsAsync(cancellationToken);
                break;
            case "AUTHENTICATE" when !authenticated && args.Count is 1 or 2 && args.All(a => a.Kind == TokenKind.String):
                await AuthenticateAsync(args[0].Text, args.Count == 2 ? args[1].Text : null, cancellationToken);
                break;
            case "UNAUTHENTICATE" when authenticated && args.Count == 0:
                (_scripts, _user) = (null, null);
                Ok("Unauthenticated.");
                break;
            case "HAVESPACE" when authenticated && args is [{ Kind: TokenKind.String }, { Kind: TokenKind.Number }]:
                HaveSpace(args[0].Text, args[1].Number);
                break;
            case "PUTSCRIPT" when authenticated && args is [{ Kind: TokenKind.String }, { Kind: TokenKind.String }]:
                PutScript(args[0].Text, args[1].Text);
                break;
            case "CHECKSCRIPT" when authenticated && args is [{ Kind: TokenKind.String }]:
                if (Compile(args[0].Text) is { } error)
                {
                    No(null, error);
                }
                else
                {
                    Ok("Script is valid.");
                }

                break;
            case "LISTSCRIPTS" when authenticated && args.Count == 0:
                foreach (var (name, active) in _scripts!.List())
                {
                    Write(Quote(name) + (active ? " ACTIVE" : string.Empty));
                }

                Ok("Listscripts completed.");
                break;
            case "SETACTIVE" when authenticated && args is [{ Kind: TokenKind.String }]:
                SetActive(args[0].Text);
                break;
            case "GETSCRIPT" when authenticated && args is [{ Kind: TokenKind.String }]:
                GetScript(args[0].Text);
                break;
            case "DELETESCRIPT" when authenticated && args is [{ Kind: TokenKind.String }]:
                DeleteScript(args[0].Text);
                break;
            case "RENAMESCRIPT" when authenticated && args is [{ Kind: TokenKind.String }, { Kind: TokenKind.String }]:
                RenameScript(args[0].Text, args[1].Text);
                break;
            case "CAPABILITY" or "LOGOUT" or "NOOP" or "STARTTLS" or "AUTHENTICATE" or "UNAUTHENTICATE" or "HAVESPACE" or "PUTSCRIPT" or
                "CHECKSCRIPT" or "LISTSCRIPTS" or "SETACTIVE" or "GETSCRIPT" or "DELETESCRIPT" or "RENAMESCRIPT":
                _errors++;
                No(null, authenticated || command is "CAPABILITY" or "LOGOUT" or "NOOP" or "STARTTLS" or "AUTHENTICATE"
                    ? "Invalid arguments (or not allowed now)."
                    : "Authenticate first.");
                break;
            default:
                _errors++;
                No(null, "Unknown command.");
                break;
        }
    }

    /// <summary>RFC 5804 §1.7: the capabilities, sent at connect, after STARTTLS and on CAPABILITY.</summary>
    private void Capabilities()
    {
        Write("\"IMPLEMENTATION\" \"MailServerless\"");
        Write($"\"SIEVE\" {Quote(string.Join(' ', SieveScript.Extensions.Where(e => !e.StartsWith("comparator-i;", StringComparison.Ordinal) || e == "comparator-i;ascii-numeric")))}");
        Write($"\"SASL\" {Quote(PlaintextRefused ? string.Empty : string.Join(' ', Sasl.Mechanisms))}");
        if (!connection.IsTls && _scripts is null)
        {
            Write("\"STARTTLS\"");
        }

        Write("\"NOTIFY\" \"mailto\""); // enotify's methods (RFC 5804 §1.7)
        Write($"\"MAXREDIRECTS\" \"{services.MaxRedirects.ToString(System.Globalization.CultureInfo.InvariantCulture)}\"");
        Write("\"VERSION\" \"1.0\"");
        Write("\"UNAUTHENTICATE\"");
    }

    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        if (connection.IsTls)
        {
            No(null, "TLS is already active.");
            return;
        }

        connection.DiscardBufferedInput();
        Ok("Begin TLS negotiation now.");
        await connection.FlushAsync(cancellationToken);
        if (!await connection.StartTlsAsync(services.Certificates.Context, services.Certificates.HandshakeTimeout, cancellationToken))
        {
            _quit = true;
            return;
        }

        // §2.2: after the handshake the server sends its capabilities again.
        Capabilities();
        Ok("TLS negotiation successful.");
    }

    private async Task AuthenticateAsync(string mechanism, string? initial, CancellationToken cancellationToken)
    {
        if (PlaintextRefused)
        {
            No("ENCRYPT-NEEDED", "Plaintext authentication disallowed without TLS.");
            return;
        }

        var sasl = await Sasl.ReadCredentialsAsync(mechanism, initial, c => ChallengeAsync(c, cancellationToken));
        switch (sasl.Failure)
        {
            case SaslFailure.Unsupported:
                No(null, "Unsupported authentication mechanism.");
                return;
            case SaslFailure.InvalidBase64:
            case SaslFailure.Malformed:
                No(null, "Authentication failed.");
                return;
            case SaslFailure.Cancelled:
                No(null, "Authentication aborted.");
                return;
        }

        using var attempt = await services.Throttle.BeginAsync(connection.RemoteAddress, sasl.User, cancellationToken);
        if (attempt is null)
        {
            No("TRYLATER", "Too many failed logins; try again later.");
            return;
        }

        Core.Accounts.AuthenticationResult result;
        try
        {
            result = await services.Directory.AuthenticateAsync(sasl.User, sasl.Password, cancellationToken);
        }
        catch (Core.Accounts.DirectoryUnavailableException)
        {
            No("TRYLATER", "Temporary authentication failure.");
            return;
        }

        MailMetrics.Login("managesieve", result.Succeeded);
        if (!result.Succeeded)
        {
            attempt.Fail();
            LogLoginFailed(connection.RemoteAddress, LogText.Safe(sasl.User));
            await Task.Delay(services.Throttle.Options.FailureDelay, cancellationToken);
            No(null, "Authentication failed.");
            return;
        }

        var mailbox = result.Mailbox!;
        _user = mailbox.Username;
        _scripts = new SieveScriptStore(MaildirLayout.MailboxRoot(services.Store.BasePath, mailbox.Maildir));
        Ok("Logged in.");
    }

    private async Task<string?> ChallengeAsync(string challenge, CancellationToken cancellationToken)
    {
        Write(Quote(challenge));
        await connection.FlushAsync(cancellationToken);
        var (status, tokens) = await ReadCommandAsync(cancellationToken);
        if (status != LineStatus.Line || tokens is not [{ Kind: TokenKind.String } response])
        {
            return null;
        }

        return response.Text == "*" ? null : response.Text;
    }

    private void HaveSpace(string name, long size)
    {
        if (!SieveScriptStore.IsValidName(name))
        {
            No(null, "Invalid script name.");
            return;
        }

        if (QuotaRefusal(name, size) is { } refusal)
        {
            No(refusal.Code, refusal.Text);
            return;
        }

        Ok("Putscript would succeed.");
    }

    private (string Code, string Text)? QuotaRefusal(string name, long size)
    {
        if (size > SieveParser.MaxScriptSize)
        {
            return ("QUOTA/MAXSIZE", $"Script is larger than {SieveParser.MaxScriptSize} bytes.");
        }

        var (bytes, count) = _scripts!.Usage();
        var existing = _scripts.Exists(name);
        if (!existing && count + 1 > _options.MaxScripts)
        {
            return ("QUOTA/MAXSCRIPTS", $"No more than {_options.MaxScripts} scripts.");
        }

        var old = existing ? Encoding.UTF8.GetByteCount(_scripts.Read(name) ?? string.Empty) : 0;
        return bytes - old + size > _options.MaxStorage
            ? ("QUOTA/MAXSIZE", $"Scripts would take more than {_options.MaxStorage} bytes.")
            : null;
    }

    private void PutScript(string name, string script)
    {
        if (!SieveScriptStore.IsValidName(name))
        {
            No(null, "Invalid script name.");
            return;
        }

        if (QuotaRefusal(name, Encoding.UTF8.GetByteCount(script)) is { } refusal)
        {
            No(refusal.Code, refusal.Text);
            return;
        }

        if (Compile(script) is { } error)
        {
            No(null, error);
            return;
        }

        _scripts!.Write(name, script);
        LogPut(_user ?? "-", LogText.Safe(name), script.Length);
        Ok("Putscript completed.");
    }

    /// <summary>Null when the script compiles; else the error with its line and column, as Pigeonhole reports them.</summary>
    private static string? Compile(string script)
    {
        try
        {
            _ = SieveScript.Compile(script);
            return null;
        }
        catch (SieveSyntaxException e)
        {
            return $"line {e.Line}: error: {e.Reason} (column {e.Column})";
        }
    }

    private void SetActive(string name)
    {
        if (name.Length == 0)
        {
            _scripts!.Activate(null);
            Ok("Active script deactivated.");
            return;
        }

        if (!_scripts!.Exists(name))
        {
            No("NONEXISTENT", "There is no script by that name.");
            return;
        }

        _scripts.Activate(name);
        Ok("Setactive completed.");
    }

    private void GetScript(string name)
    {
        if (_scripts!.Read(name) is not { } text)
        {
            No("NONEXISTENT", "There is no script by that name.");
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        connection.WriteText(string.Create(CultureInfo.InvariantCulture, $"{{{bytes.Length}}}\r\n"));
        connection.WriteBytes(bytes);
        connection.WriteText("\r\n");
        Ok("Getscript completed.");
    }

    private void DeleteScript(string name)
    {
        if (!_scripts!.Exists(name))
        {
            No("NONEXISTENT", "There is no script by that name.");
            return;
        }

        if (_scripts.ActiveName() == name)
        {
            No("ACTIVE", "You may not delete the active script.");
            return;
        }

        _scripts.Delete(name);
        Ok("Deletescript completed.");
    }

    private void RenameScript(string from, string to)
    {
        if (!_scripts!.Exists(from))
        {
            No("NONEXISTENT", "There is no script by that name.");
            return;
        }

        if (!SieveScriptStore.IsValidName(to))
        {
            No(null, "Invalid script name.");
            return;
        }

        if (_scripts.Exists(to))
        {
            No("ALREADYEXISTS", "A script with that name already exists.");
            return;
        }

        var active = _scripts.ActiveName() == from;
        _scripts.Rename(from, to);
        if (active)
        {
            _scripts.Activate(to);
        }

        Ok("Renamescript completed.");
    }

    // ------------------------------------------------------------------ wire --

    private enum TokenKind
    {
        Atom,
        String,
        Number,
    }

    private sealed record Token(TokenKind Kind, string Text, long Number = 0);

    /// <summary>
    /// A command: atoms, numbers, quoted strings and literals (<c>{N+}</c> or <c>{N}</c>, RFC 5804 §4), across as many
    /// lines as its literals take. Null tokens: a syntax error (the line is consumed).
    /// </summary>
    private async Task<(LineStatus Status, List<Token>? Tokens)> ReadCommandAsync(CancellationToken cancellationToken)
    {
        var tokens = new List<Token>();
        while (true)
        {
            var (status, bytes) = await connection.ReadLineAsync(MaxLine, _options.IdleTimeout, cancellationToken);
            if (status != LineStatus.Line)
            {
                return (status, null);
            }

            var line = Encoding.UTF8.GetString(bytes);
            var literal = Tokenize(line, tokens);
            if (literal is null)
            {
                return (LineStatus.Line, tokens);
            }

            if (literal < 0)
            {
                return (LineStatus.Line, null);
            }

            if (literal > MaxLiteral)
            {
                return (LineStatus.TooLong, null);
            }

            using var buffer = new MemoryStream();
            if (!await connection.ReadExactAsync(literal.Value, buffer, new TransferDeadline(_options.IdleTimeout, ProtocolConnection.MinReadRate, services.Clock), cancellationToken))
            {
                return (LineStatus.Closed, null);
            }

            tokens.Add(new Token(TokenKind.String, Encoding.UTF8.GetString(buffer.ToArray())));
        }
    }

    /// <summary>Adds the line's tokens; returns the size of a literal that ends it, null when none, -1 on a syntax error.</summary>
    private static long? Tokenize(string line, List<Token> tokens)
    {
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c == ' ')
            {
                i++;
            }
            else if (c == '"')
            {
                var text = new StringBuilder();
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                    }

                    text.Append(line[i++]);
                }

                if (i >= line.Length)
                {
                    return -1;
                }

                i++;
                tokens.Add(new Token(TokenKind.String, text.ToString()));
            }
            else if (c == '{')
            {
                var close = line.IndexOf('}', i);
                if (close != line.Length - 1)
                {
                    return -1;
                }

                var number = line[(i + 1)..close].TrimEnd('+');
                return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : -1;
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < line.Length && char.IsAsciiDigit(line[i]))
                {
                    i++;
                }

                if (!long.TryParse(line.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return -1;
                }

                tokens.Add(new Token(TokenKind.Number, line[start..i], value));
            }
            else if (char.IsAsciiLetter(c))
            {
                var start = i;
                while (i < line.Length && line[i] != ' ')
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Atom, line[start..i]));
            }
            else
            {
                return -1;
            }
        }

        return null;
    }

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).ReplaceLineEndings(" ") + "\"";

    private void Write(string line) => connection.Write(line);

    private void Ok(string text) => Write(text.Length == 0 ? "OK" : $"OK {Quote(text)}");

    private void No(string? code, string text) => Write(code is null ? $"NO {Quote(text)}" : $"NO ({code}) {Quote(text)}");

    private void Bye(string text) => Write($"BYE {Quote(text)}");

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "managesieve login failed from [{Client}] user={User}")]
    private partial void LogLoginFailed(System.Net.IPAddress client, string user);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "managesieve {User}: putscript {Name} ({Length} characters)")]
    private partial void LogPut(string user, string name, int length);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Information, Message = "managesieve disconnect from [{Client}] user={User}")]
    private partial void LogDisconnect(System.Net.IPAddress client, string user);
}
