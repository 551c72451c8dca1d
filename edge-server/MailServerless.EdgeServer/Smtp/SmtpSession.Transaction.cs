using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using MailServerless.Core.Diagnostics;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Smtp.Parsing;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>The mail transaction: MAIL FROM, RCPT TO and DATA (RFC 5321 §3.3).</summary>
public sealed partial class SmtpSession
{
    private bool _smtpUtf8;

    // DSN (RFC 3461): RET and ENVID of the MAIL FROM, NOTIFY and ORCPT per recipient accepted.
    private DsnReturn? _dsnReturn;
    private bool _requireTls;
    private string? _envelopeId;
    private readonly Dictionary<string, RecipientDsn> _recipientDsn = new(StringComparer.OrdinalIgnoreCase);

    // SPF of the current MAIL FROM, checked at its first RCPT (as policyd-spf does) and kept for DMARC.
    private bool _spfChecked;
    private Core.Authentication.SpfOutcome? _spf;
    private string? _spfRefusal;

    private async Task MailAsync(string argument, CancellationToken cancellationToken)
    {
        if (_helo is null)
        {
            Error("503 5.5.1 Error: send HELO/EHLO first");
            return;
        }

        if (_mailFrom is not null)
        {
            Error("503 5.5.1 Error: nested MAIL command");
            return;
        }

        if (kind != SmtpListenerKind.Mx && _user is null)
        {
            Error(TlsRequiredForAuth ? "530 5.7.0 Must issue a STARTTLS command first" : "530 5.7.0 Authentication required");
            return;
        }

        if (!argument.StartsWith("FROM:", StringComparison.OrdinalIgnoreCase) ||
            !SmtpPath.TryParse(argument[5..], allowNull: true, out var path, out var syntax))
        {
            Error($"501 {(argument.StartsWith("FROM:", StringComparison.OrdinalIgnoreCase) ? "5.1.7 Bad sender address syntax" : "5.5.4 Syntax: MAIL FROM:<address>")}");
            return;
        }

        foreach (var (key, value) in path.Parameters)
        {
            switch (key.ToUpperInvariant())
            {
                case "SIZE" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size):
                    if (size > _options.MaxMessageSize)
                    {
                        MailMetrics.Rejected("size");
                        Error("552 5.3.4 Message size exceeds fixed limit");
                        return;
                    }

                    break;
                case "BODY" when value is not null && (value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) ||
                                                       value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase) ||
                                                       value.Equals("BINARYMIME", StringComparison.OrdinalIgnoreCase)):
                case "SMTPUTF8" when value is null:
                case "AUTH" when value is not null:
                    break;
                case "RET":
                    if (!DsnParameters.TryParseReturn(value, out _))
                    {
                        Error("501 5.5.4 Bad RET parameter syntax");
                        return;
                    }

                    break;
                case "ENVID":
                    if (!DsnParameters.TryParseEnvelopeId(value, out _))
                    {
                        Error("501 5.5.4 Bad ENVID parameter syntax");
                        return;
                    }

                    break;
                case "REQUIRETLS" when value is null && connection.IsTls:
                    // RFC 8689 §4.1: offered (and taken) only inside TLS.
                    break;
                default:
                    Error($"555 5.5.4 Unsupported option: {key}");
                    return;
            }
        }

        var smtpUtf8 = path.Parameters.ContainsKey("SMTPUTF8");
        if (!path.Address.All(char.IsAscii) && !smtpUtf8)
        {
            Error($"553 5.6.7 <{path.Address}>: Must declare SMTPUTF8 to send unicode address");
            return;
        }

        if (_user is not null && await services.Policy.CheckSenderAsync(path.Address, _user, cancellationToken) is { } refused)
        {
            Error(refused);
            return;
        }

        _mailFrom = path;
        _smtpUtf8 = smtpUtf8;
        _binaryMime = path.Parameters.TryGetValue("BODY", out var bodyType) && bodyType!.Equals("BINARYMIME", StringComparison.OrdinalIgnoreCase);
        _dsnReturn = DsnParameters.TryParseReturn(path.Parameters.GetValueOrDefault("RET"), out var ret) ? ret : null;
        _envelopeId = DsnParameters.TryParseEnvelopeId(path.Parameters.GetValueOrDefault("ENVID"), out var envelopeId) ? envelopeId : null;
        _requireTls = path.Parameters.ContainsKey("REQUIRETLS");
        Reply("250 2.1.0 Ok");
    }

    private async Task RecipientAsync(string argument, CancellationToken cancellationToken)
    {
        if (_mailFrom is null)
        {
            Error("503 5.5.1 Error: need MAIL command");
            return;
        }

        if (!argument.StartsWith("TO:", StringComparison.OrdinalIgnoreCase) ||
            !SmtpPath.TryParse(argument[3..], allowNull: false, out var path, out _, allowPostmaster: true))
        {
            Error($"501 {(argument.StartsWith("TO:", StringComparison.OrdinalIgnoreCase) ? "5.1.3 Bad recipient address syntax" : "5.5.4 Syntax: RCPT TO:<address>")}");
            return;
        }

        var dsn = new RecipientDsn();
        foreach (var (key, value) in path.Parameters)
        {
            switch (key.ToUpperInvariant())
            {
                case "NOTIFY" when DsnParameters.TryParseNotify(value, out var notify):
                    dsn = dsn with { Notify = notify };
                    break;
                case "ORCPT" when DsnParameters.TryParseOriginalRecipient(value, out var original):
                    dsn = dsn with { OriginalRecipient = original };
                    break;
                case "NOTIFY" or "ORCPT":
                    Error($"501 5.5.4 Bad {key.ToUpperInvariant()} parameter syntax");
                    return;
                default:
                    Error($"555 5.5.4 Unsupported option: {key}");
                    return;
            }
        }

        if (_chunks is not null || _chunkRefusal is not null)
        {
            // The message has begun (RFC 3030 §2): its recipients are settled.
            Error("503 5.5.1 Error: RCPT after BDAT");
            return;
        }

        if (_recipients.Count >= _options.MaxRecipients)
        {
            // Postfix's smtpd_recipient_overshoot_limit: past it, each excess recipient counts as an error,
            // so a client cannot loop on RCPT forever.
            if (++_overshoot > _options.RecipientOvershootLimit)
            {
                Error("452 4.5.3 Error: too many recipients");
            }
            else
            {
                Reply("452 4.5.3 Error: too many recipients");
            }

            return;
        }

        var recipient = path.Address;
        if (!_spfChecked && services.Checks.Authenticates(_user is not null))
        {
            (_spf, _spfRefusal) = await services.Checks.CheckSpfAsync(connection.RemoteAddress, _helo!, _mailFrom.Address, cancellationToken);
            _spfChecked = true;
        }

        if (_spfRefusal is not null)
        {
            LogRejected(connection.RemoteAddress.ToString(), _mailFrom.Address, recipient, _spfRefusal);
            Error(_spfRefusal);
            return;
        }

        // Decided at RCPT, as Postfix's smtpd_delay_reject does: a client that pipelines MAIL and RCPT, or cannot
        // take a refusal at MAIL, gets it per recipient, and a directory outage is a 4xx there too. A hosted domain's
        // sender from outside is taken only when SPF says this client may send for it.
        if (_user is null && _options.RejectUnauthenticatedLocalSender && _spf?.Result != Core.Authentication.AuthResult.Pass &&
            await services.Policy.CheckUnauthenticatedSenderAsync(_mailFrom.Address, cancellationToken) is { } forged)
        {
            LogRejected(connection.RemoteAddress.ToString(), _mailFrom.Address, recipient, forged);
            Error(forged);
            return;
        }

        var mayRelay = _user is not null;
        if (path.IsPostmaster)
        {
            var (postmaster, refusal) = await services.Policy.ServerPostmasterAsync(cancellationToken);
            if (postmaster is null)
            {
                LogRejected(connection.RemoteAddress.ToString(), _mailFrom.Address, recipient, refusal);
                Error(refusal);
                return;
            }

            // The operator chose this address for postmaster's mail: it is taken even where it is not local.
            (recipient, mayRelay) = (postmaster, true);
        }
        else if (await services.Policy.ReverseSrsAsync(recipient, cancellationToken) is var (original, srsRefusal) && (original ?? srsRefusal) is not null)
        {
            if (original is null)
            {
                LogRejected(connection.RemoteAddress.ToString(), _mailFrom.Address, recipient, srsRefusal!);
                Error(srsRefusal!);
                return;
            }

            // A bounce or reply to a forward of ours: it goes on to the sender the forward stood for.
            (recipient, mayRelay) = (original, true);
        }

        var reply = await services.Policy.CheckRecipientAsync(recipient, mayRelay, _smtpUtf8, cancellationToken);
        if (reply.IsPositive)
        {
            _recipients.Add(recipient);
            if (dsn.Notify != DsnNotify.Default || dsn.OriginalRecipient is not null)
            {
                _recipientDsn.TryAdd(recipient, dsn);
            }

            Reply(reply.ToString());
        }
        else
        {
            LogRejected(connection.RemoteAddress.ToString(), _mailFrom.Address, recipient, reply.ToString());
            Error(reply.ToString());
        }
    }

    private async Task DataAsync(string argument, CancellationToken cancellationToken)
    {
        if (argument.Length > 0)
        {
            Error("501 5.5.4 Syntax: DATA");
            return;
        }

        if (_mailFrom is null)
        {
            Error("503 5.5.1 Error: need MAIL command");
            return;
        }

        if (_recipients.Count == 0)
        {
            Error("554 5.5.1 Error: no valid recipients");
            return;
        }

        if (_chunks is not null || _chunkRefusal is not null)
        {
            Error("503 5.5.1 Error: DATA after BDAT");
            return;
        }

        if (_binaryMime)
        {
            // RFC 3030 §3: a BINARYMIME body cannot go through DATA.
            Error("503 5.5.1 Error: BODY=BINARYMIME requires BDAT");
            return;
        }

        Reply("354 End data with <CR><LF>.<CR><LF>");
        await connection.FlushAsync(cancellationToken);

        var message = await StartMessageAsync(cancellationToken);
        var outcome = await message.Reader.ReadAsync(new Protocol.TransferDeadline(_options.IdleTimeout, _options.MinDataRate, services.Clock), cancellationToken);
        if (outcome != DataOutcome.Complete)
        {
            await AbandonAsync(message);
            RefuseData(outcome);
            return;
        }

        await AcceptAsync(message, cancellationToken);
    }

    /// <summary>A message the client has sent whole (DATA's end, BDAT LAST): checked, queued, and only then answered 250.</summary>
    private async Task AcceptAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        var (id, body, stored, reader) = message;
        if (await HeaderSenderRefusalAsync(reader.Header, cancellationToken) is { } refusal)
        {
            await AbandonAsync(message);
            LogRejected(connection.RemoteAddress.ToString(), _mailFrom!.Address, string.Join(",", _recipients), refusal);
            ResetTransaction();
            Error(refusal);
            return;
        }

        await body.Writer.CompleteAsync();
        try
        {
            var size = await stored;
            var verdict = await CheckMessageAsync(id, cancellationToken);
            if (verdict.Refusal is not null)
            {
                await services.Blobs.DeleteAsync(id, CancellationToken.None);
                LogRejected(connection.RemoteAddress.ToString(), _mailFrom!.Address, string.Join(",", _recipients), verdict.Refusal);
                Reply(verdict.Refusal);
                ResetTransaction();
                return;
            }

            if (_binaryMime)
            {
                size = await EncodeBinaryPartsAsync(id, cancellationToken);
            }

            await services.Inbound.EnqueueAsync(new QueuedMessage
            {
                Id = id,
                ReceivedAt = services.Clock.GetUtcNow(),
                MailFrom = _mailFrom!.Address,
                Recipients = _recipients.ToList(),
                BodyKey = id,
                Size = size,
                ClientAddress = connection.RemoteAddress.ToString(),
                ClientHelo = _helo,
                AuthenticatedUser = _user,
                AddedHeaders = verdict.AddedHeaders,
                RemovedHeaders = verdict.RemovedHeaders,
                Folder = verdict.Folder,
                SpamScore = verdict.SpamScore,
                AuthenticationResults = verdict.AuthenticationResults,
                Dsn = DsnRequest(),
                RequireTls = _requireTls,
            }, cancellationToken);
            // The body and the envelope are on disk (fsync'd): only now may the client hear "queued".
            Reply($"250 2.0.0 Ok: queued as {id}");
            _accepted++;
            MailMetrics.Accepted(ListenerName);
            LogQueued(id, connection.RemoteAddress.ToString(), _user ?? "-", _mailFrom.Address, string.Join(",", _recipients), size);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever failed (a full disk, S3 or SQS unreachable or refusing), nothing was acknowledged: the
            // client is told to try again, and the body is removed if it can be.
            LogQueueFailed(id, e.Message);
            Reply("451 4.3.0 Error: queue file write error");
            try
            {
                await services.Blobs.DeleteAsync(id, CancellationToken.None);
            }
            catch (Exception cleanup) when (cleanup is not OperationCanceledException)
            {
                LogQueueFailed(id, cleanup.Message);
            }
        }

        ResetTransaction();
    }

    /// <summary>What of DSN the client asked for, to travel with the envelope; null when nothing.</summary>
    private DsnRequest? DsnRequest() =>
        _dsnReturn is null && _envelopeId is null && _recipientDsn.Count == 0
            ? null
            : new DsnRequest { Return = _dsnReturn, EnvelopeId = _envelopeId, Recipients = _recipientDsn.Count == 0 ? null : new Dictionary<string, RecipientDsn>(_recipientDsn) };

    /// <summary>
    /// DKIM, ARC, DMARC and the spam filter on the stored body. A check that breaks (a bug, not a DNS or rspamd
    /// failure, which each have their own rule) does not lose the message: it is taken unchecked, and logged.
    /// </summary>
    private async Task<InboundVerdict> CheckMessageAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await services.Checks.CheckMessageAsync(
                new InboundFacts(connection.RemoteAddress, _helo ?? string.Empty, _mailFrom!.Address, _recipients.ToList(), _user, id, _spf), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException and not BlobNotFoundException)
        {
            LogChecksFailed(id, e.GetType().Name + ": " + e.Message);
            return new InboundVerdict(null, null, [$"Authentication-Results:{services.Checks.AuthServId}"], null, null, null);
        }
    }

    /// <summary>
    /// Stores the body; when storing fails, the pipe is completed with the error so the DATA reader
    /// stops writing (and goes on reading to the end of the data) instead of waiting on a full pipe.
    /// </summary>
    private async Task<long> StoreAsync(string id, PipeReader reader, CancellationToken cancellationToken)
    {
        try
        {
            // Durable together with the envelope, whose enqueue returns only after both are on disk.
            return await services.Blobs.PutBeforeEnqueueAsync(id, reader.AsStream(), cancellationToken);
        }
        catch (Exception e)
        {
            await reader.CompleteAsync(e);
            throw;
        }
    }

    /// <summary>
    /// For an authenticated submission: null when every From: and Sender: address is one the user may send
    /// as; else the refusal. What receivers show and what DKIM signs for is the header, not the envelope.
    /// </summary>
    private async Task<string?> HeaderSenderRefusalAsync(ReadOnlyMemory<byte> header, CancellationToken cancellationToken)
    {
        if (_user is null || !_options.RejectHeaderSenderMismatch)
        {
            return null;
        }

        MimeKit.HeaderList headers;
        using (var stream = new MemoryStream(header.ToArray(), writable: false))
        {
            try
            {
                headers = await MimeKit.HeaderList.LoadAsync(stream, cancellationToken);
            }
            catch (FormatException)
            {
                return "553 5.7.1 Error: the message header cannot be parsed";
            }
        }

        foreach (var field in headers.Where(h => h.Id is MimeKit.HeaderId.From or MimeKit.HeaderId.Sender))
        {
            if (!MimeKit.InternetAddressList.TryParse(MimeKit.ParserOptions.Default, field.RawValue, out var addresses))
            {
                return $"553 5.7.1 Error: {field.Field}: header cannot be parsed";
            }

            foreach (var mailbox in addresses.Mailboxes)
            {
                if (await services.Policy.CheckSenderAsync(mailbox.Address, _user, cancellationToken) is { } refused)
                {
                    return refused.Replace("Sender address rejected", $"{field.Field}: address rejected", StringComparison.Ordinal);
                }
            }
        }

        return null;
    }

    private void RefuseData(DataOutcome outcome)
    {
        ResetTransaction();
        switch (outcome)
        {
            case DataOutcome.TooBig:
                MailMetrics.Rejected("size");
                Error("552 5.3.4 Error: message file too big");
                break;
            case DataOutcome.HeaderTooBig:
                MailMetrics.Rejected("size");
                Error("552 5.3.4 Error: message header size exceeds limit");
                break;
            case DataOutcome.BareLineEnd:
                // Postfix's smtpd_forbid_bare_newline: the end of data can no longer be trusted.
                Error("521 5.5.2 Error: bare <CR> or <LF> received");
                _quit = true;
                break;
            case DataOutcome.TimedOut:
                Reply($"421 4.4.2 {_host} Error: timeout exceeded");
                _quit = true;
                break;
            default:
                _quit = true;
                break;
        }
    }

    /// <summary>The Received: header, as Postfix writes it (RFC 5321 §4.4).</summary>
    private string ReceivedHeader(string id)
    {
        var with = (_esmtp ? "ESMTP" : "SMTP") + (connection.IsTls ? "S" : string.Empty) + (_user is not null ? "A" : string.Empty);
        var header = new StringBuilder();
        header.Append(CultureInfo.InvariantCulture, $"Received: from {_helo} ([{connection.RemoteAddress}])\r\n");
        if (connection.TlsDescription is { } tls)
        {
            header.Append(CultureInfo.InvariantCulture, $"\t(using {tls})\r\n");
        }

        if (_user is not null && _options.AuthenticatedUserInReceived)
        {
            header.Append(CultureInfo.InvariantCulture, $"\t(Authenticated sender: {_user})\r\n");
        }

        header.Append(CultureInfo.InvariantCulture, $"\tby {_host} (MailServerless) with {with} id {id}");
        if (_recipients.Count == 1)
        {
            header.Append(CultureInfo.InvariantCulture, $"\r\n\tfor <{_recipients[0]}>");
        }

        header.Append("; ").Append(MimeKit.Utils.DateUtils.FormatDate(services.Clock.GetUtcNow())).Append("\r\n");
        return header.ToString();
    }

    [LoggerMessage(EventId = 6030, Level = LogLevel.Information,
        Message = "smtp {Id}: client=[{Client}] user={User} from=<{From}> to=<{To}> size={Size} status=queued")]
    private partial void LogQueued(string id, string client, string user, string from, string to, long size);

    /// <summary>The listener's name in metrics.</summary>
    private string ListenerName => kind switch
    {
        SmtpListenerKind.Submission => "submission",
        SmtpListenerKind.Submissions => "submissions",
        _ => "smtp",
    };

    /// <summary>Every refusal of a recipient or a message: logged (for fail2ban and the operator) and counted by reason.</summary>
    private void LogRejected(string client, string from, string to, string reply)
    {
        MailMetrics.Rejected(RejectionReason.Of(reply));
        LogRejection(client, from, to, reply);
    }

    [LoggerMessage(EventId = 6031, Level = LogLevel.Information, Message = "smtp reject from [{Client}]: from=<{From}> to=<{To}>: {Reply}")]
    private partial void LogRejection(string client, string from, string to, string reply);

    [LoggerMessage(EventId = 6032, Level = LogLevel.Error, Message = "smtp {Id}: could not queue: {Reason}")]
    private partial void LogQueueFailed(string id, string reason);

    [LoggerMessage(EventId = 6033, Level = LogLevel.Error, Message = "smtp {Id}: message checks failed, taken unchecked: {Reason}")]
    private partial void LogChecksFailed(string id, string reason);
}
